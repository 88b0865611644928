#include <algorithm>
#include <stdexcept>
#include <string>

#include "prunesim/workloads/trace.h"

namespace prunesim::workloads {

void OpList::push_back(Op op) {
  materialize();
  stored_.push_back(std::move(op));
}

Op& OpList::back() {
  materialize();
  return stored_.back();
}

Op& OpList::operator[](size_t i) {
  materialize();
  return stored_[i];
}

const Op& OpList::operator[](size_t i) const {
  if (i < stored_.size()) return stored_[i];
  const size_t s = (i - stored_.size()) / per_step_;
  if (s != held_.last_step) held_.last = &held_step(s), held_.last_step = s;
  return (*held_.last)[(i - stored_.size()) % per_step_];
}

const std::vector<Op>& OpList::held_step(size_t s) const {
  if (s >= steps_)
    throw std::out_of_range("op list: step " + std::to_string(s) + " of " + std::to_string(steps_));
  auto it = held_.steps.find(s);
  if (it == held_.steps.end()) {
    std::vector<Op> ops;
    ops.reserve(per_step_);
    gen_->step(s, uint32_t(stored_.size() + s * per_step_), ops);
    if (ops.size() != per_step_)
      throw std::logic_error("op list: step " + std::to_string(s) + " made " + std::to_string(ops.size()) +
                             " ops, not " + std::to_string(per_step_));
    it = held_.steps.emplace(s, std::move(ops)).first;
    held_.most = std::max(held_.most, held_.steps.size());
  }
  return it->second;
}

void OpList::release_before(size_t i) const {
  if (i <= stored_.size()) return;
  const size_t done = (i - stored_.size()) / per_step_;  // steps wholly before op i
  auto& steps = held_.steps;
  while (!steps.empty() && steps.begin()->first < done) {
    if (steps.begin()->first == held_.last_step) held_.last = nullptr, held_.last_step = SIZE_MAX;
    steps.erase(steps.begin());
  }
}

void OpList::materialize() {
  if (!steps_) return;
  stored_.reserve(size());
  for (size_t s = 0; s < steps_; ++s) gen_->step(s, uint32_t(stored_.size()), stored_);
  gen_.reset();
  steps_ = per_step_ = 0;
  held_ = Held();
}

void OpList::append_generated(std::shared_ptr<const OpSteps> gen, size_t steps, size_t per_step) {
  materialize();
  if (!steps || !per_step) return;
  gen_ = std::move(gen);
  steps_ = steps, per_step_ = per_step;
}

const Op& OpList::const_iterator::operator*() const {
  if (i_ < list_->stored_.size()) return list_->stored_[i_];
  const size_t s = (i_ - list_->stored_.size()) / list_->per_step_;
  if (s != step_ || !step_ops_) {
    if (!step_ops_ || step_ops_.use_count() > 1) step_ops_ = std::make_shared<std::vector<Op>>();
    step_ops_->clear();
    list_->gen_->step(s, uint32_t(list_->stored_.size() + s * list_->per_step_), *step_ops_);
    step_ = s;
  }
  return (*step_ops_)[(i_ - list_->stored_.size()) % list_->per_step_];
}

}  // namespace prunesim::workloads
