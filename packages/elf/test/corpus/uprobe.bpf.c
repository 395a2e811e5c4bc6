// uprobe / uretprobe on a gcc-built binary. `uprobe/corpus_target` names only the
// function (the loader takes the path from the attach targets); the uretprobe has
// the full `path:function` form, with the path passed in at compile time.
#include "common.h"

#ifndef TARGET_BINARY
#define TARGET_BINARY "/nonexistent"
#endif

u64 calls = 0, arg_sum = 0, ret_sum = 0;

SEC("uprobe/corpus_target")
int BPF_KPROBE(on_call, int x) {
  __sync_fetch_and_add(&calls, 1);
  __sync_fetch_and_add(&arg_sum, x);
  return 0;
}

SEC("uretprobe/" TARGET_BINARY ":corpus_target")
int BPF_KRETPROBE(on_return, int ret) {
  __sync_fetch_and_add(&ret_sum, ret);
  return 0;
}
