# Embeds files into a C++ header as raw string literals, so `prunesim hls export` writes the very sources the
# simulator was built with. Run at build time with -DOUT=... -DSRC=<dir> -DPATTERN=<glob relative to SRC>
# -DARRAY=<name of the array>.
set(body "// Generated from ${SRC} by sim/embed_hls.cmake. Do not edit.\n#pragma once\n")
string(APPEND body "#include \"prunesim/sim/embedded_file.h\"\n\nnamespace prunesim::sim {\n")
string(APPEND body "inline const EmbeddedFile ${ARRAY}[] = {\n")
file(GLOB files RELATIVE "${SRC}" "${SRC}/${PATTERN}")
list(SORT files)
foreach(f IN LISTS files)
  file(READ "${SRC}/${f}" text)
  string(APPEND body "  {\"${f}\", R\"prunesim_hls(${text})prunesim_hls\"},\n")
endforeach()
string(APPEND body "};\n}  // namespace prunesim::sim\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
