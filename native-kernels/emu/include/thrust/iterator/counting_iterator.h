// Emulated device (emu/include/cuda_runtime.h): thrust::counting_iterator, the one thrust type src/ uses.
#pragma once
namespace thrust {
template <class T>
struct counting_iterator {
  using value_type = T;
  T start;
  explicit counting_iterator(T s) : start(s) {}
  T operator[](long long i) const { return start + (T)i; }
};
}  // namespace thrust
