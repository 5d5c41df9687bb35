// praetor-devfilter: attaches a cgroup v2 device filter (BPF_PROG_TYPE_CGROUP_DEVICE, attach type
// BPF_CGROUP_DEVICE) to one cgroup, so a device node reachable anyway (mknod, a leaked path) is
// still refused by the kernel. Usage: praetor-devfilter CGROUP_V2_DIR MAJOR:MINOR[,MINOR...] ...
// Each argument names a character-device major whose minors are denied except those listed
// (MAJOR: alone denies every minor); every other device is left to the rest of the sandbox's
// confinement. The program stays attached after this process exits, until the cgroup is removed.
//
// Written by hand, from raw instructions: the program is a few compares, and building it with
// libbpf/clang would add a compiler toolchain and a library to every host for 30 instructions.
// Exit codes: 0 attached; 2 usage; 69 the kernel refused (no cgroup BPF, a verifier error).
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 4000
static struct bpf_insn prog[MAX_INSNS];
static int n;

static void emit(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm) {
  if (n >= MAX_INSNS) {
    fprintf(stderr, "praetor-devfilter: too many rules\n");
    exit(2);
  }
  prog[n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

// Jumps whose targets are the final allow/deny blocks, patched once those are placed.
static int to_allow[MAX_INSNS], to_deny[MAX_INSNS], n_allow, n_deny;

static int parse_u32(const char *s, char **end, __u32 *out) {
  errno = 0;
  unsigned long v = strtoul(s, end, 10);
  if (errno != 0 || *end == s || v > 0xffffffffUL) return -1;
  *out = (__u32)v;
  return 0;
}

static long bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: praetor-devfilter CGROUP_V2_DIR MAJOR:MINOR[,MINOR...] ...\n");
    return 2;
  }
  // struct bpf_cgroup_dev_ctx { __u32 access_type; /* (access << 16) | type */ __u32 major; __u32 minor; }
  emit(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
  emit(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  emit(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 4, 0);
  emit(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 8, 0);
  for (int a = 2; a < argc; a++) {
    char *end;
    __u32 major;
    if (parse_u32(argv[a], &end, &major) != 0 || *end != ':') {
      fprintf(stderr, "praetor-devfilter: bad rule %s (MAJOR:MINOR,...)\n", argv[a]);
      return 2;
    }
    // if (type != char) goto next; if (major != M) goto next; if (minor == m) allow; ...; deny
    int skip_type = n;
    emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, BPF_DEVCG_DEV_CHAR);
    int skip_major = n;
    emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, 0, (__s32)major);
    const char *p = end + 1;
    while (*p != '\0') {
      __u32 minor;
      if (parse_u32(p, &end, &minor) != 0 || (*end != ',' && *end != '\0')) {
        fprintf(stderr, "praetor-devfilter: bad minor in %s\n", argv[a]);
        return 2;
      }
      to_allow[n_allow++] = n;
      emit(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_4, 0, 0, (__s32)minor);
      p = *end == ',' ? end + 1 : end;
    }
    to_deny[n_deny++] = n;
    emit(BPF_JMP | BPF_JA, 0, 0, 0, 0);
    prog[skip_type].off = (__s16)(n - skip_type - 1);
    prog[skip_major].off = (__s16)(n - skip_major - 1);
  }
  int allow = n;
  emit(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
  emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  int deny = n;
  emit(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
  emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (int i = 0; i < n_allow; i++) prog[to_allow[i]].off = (__s16)(allow - to_allow[i] - 1);
  for (int i = 0; i < n_deny; i++) prog[to_deny[i]].off = (__s16)(deny - to_deny[i] - 1);

  static char log[65536];
  union bpf_attr load;
  memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (__u64)(unsigned long)prog;
  load.insn_cnt = (__u32)n;
  load.license = (__u64)(unsigned long)"GPL";
  load.log_buf = (__u64)(unsigned long)log;
  load.log_size = sizeof(log);
  load.log_level = 1;
  int fd = (int)bpf(BPF_PROG_LOAD, &load);
  if (fd < 0) {
    fprintf(stderr, "praetor-devfilter: the kernel refused the device program: %s%s%s\n", strerror(errno), log[0] ? ": " : "", log);
    return 69;
  }
  int cg = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) {
    fprintf(stderr, "praetor-devfilter: %s: %s\n", argv[1], strerror(errno));
    return 69;
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof(attach));
  attach.target_fd = (__u32)cg;
  attach.attach_bpf_fd = (__u32)fd;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = 0; // no override: a descendant can not replace it
  if (bpf(BPF_PROG_ATTACH, &attach) != 0) {
    fprintf(stderr, "praetor-devfilter: attaching to %s: %s\n", argv[1], strerror(errno));
    return 69;
  }
  return 0;
}
