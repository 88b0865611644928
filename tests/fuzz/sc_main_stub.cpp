// libsystemc defines main() and calls sc_main(); a harness links libFuzzer's main() instead, but the library
// still needs the symbol (declared extern "C" in sysc/kernel/sc_externs.h) to link. It is never called.
extern "C" int sc_main(int, char*[]) { return 0; }
