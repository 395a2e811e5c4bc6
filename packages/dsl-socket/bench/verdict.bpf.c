// The logic of SK_MSG_TEMPLATES.verdictByFirstBytes('GET ') in C, for the instruction-count
// comparison of insn-count.bench.ts (clang-19 -O2).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("sk_msg")
int verdict(struct sk_msg_md *msg) {
  if (msg->size < 4) return SK_DROP;
  if (bpf_msg_pull_data(msg, 0, 4, 0)) return SK_DROP;
  unsigned char *data = msg->data;
  unsigned char *end = msg->data_end;
  if (data + 4 > end) return SK_DROP;
  if (data[0] != 'G' || data[1] != 'E' || data[2] != 'T' || data[3] != ' ') return SK_DROP;
  return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
