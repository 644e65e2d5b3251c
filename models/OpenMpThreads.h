#pragma once
// The OpenMP runtime LibTorch was built with, found at run time: pip's LibTorch bundles its own
// renamed libgomp, so linking one here could set or read the thread count of the wrong runtime.
// The count is a per-thread setting in OpenMP (unlike at::set_num_threads, which also changes the
// process-wide default). Internal to models/.
#include <dlfcn.h>

namespace doppel::models {

struct OpenMpThreads {
    using SetFn = void (*)(int);
    using GetFn = int (*)();
    SetFn set = nullptr;
    GetFn get = nullptr;

    static const OpenMpThreads& instance() {
        static const OpenMpThreads runtime = [] {
            OpenMpThreads r;
            r.set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
            r.get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
            return r;
        }();
        return runtime;
    }
    bool available() const { return set && get; }
    /// The calling thread's OpenMP thread count (1 when no OpenMP runtime is loaded).
    int threadsHere() const { return get ? get() : 1; }
};

}  // namespace doppel::models
