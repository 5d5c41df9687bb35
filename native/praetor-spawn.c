/*
 * praetor-spawn: the one piece of praetor that must run between fork and exec.
 *
 * Node has no pre-exec hook, so it can not place a child in a cgroup, join namespaces,
 * drop privileges or load a seccomp filter before the child's first instruction. Doing
 * that with a chain of util-linux tools (sh + nsenter + setpriv) costs three execs and
 * still can not load seccomp; this helper does it in one exec, in an order the kernel's
 * permission rules allow (see enter()). No library does this job, hence hand-written C.
 *
 * Modes:
 *   launch --uid U --gid G [--netns PATH] [--cgroup PROCS_FILE]... -- ARGV
 *       join cgroups, clear groups, join the network namespace, become U:G, exec ARGV
 *       (praetor uses it to start the sandbox's bubblewrap init unprivileged).
 *   enter --target PID --uid U --gid G [--cgroup PROCS_FILE]... [--cwd DIR]
 *         [--seccomp FILE] -- ARGV
 *       run ARGV inside the namespaces of sandbox init PID, with no capabilities,
 *       no_new_privs and the seccomp filter; waits and exits with ARGV's status.
 *   pid1
 *       the sandbox's init: reaps orphans forever; as PID 1 of its namespace it ignores
 *       every signal sent from inside.
 *
 * Exit status 125 means the helper itself failed; the message says where.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/nsfs.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELPER_FAILURE 125
#define MAX_CGROUPS 16

struct options {
  const char *mode;
  long uid, gid;
  long target;
  const char *netns;
  const char *cwd;
  const char *seccomp;
  const char *cgroups[MAX_CGROUPS];
  int ncgroups;
  char **argv;
};

static void die(const char *what) {
  fprintf(stderr, "praetor-spawn: %s: %s\n", what, strerror(errno));
  _exit(HELPER_FAILURE);
}

static void die_usage(const char *what) {
  fprintf(stderr, "praetor-spawn: %s\n", what);
  _exit(HELPER_FAILURE);
}

static long parse_number(const char *s, const char *flag) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0) {
    fprintf(stderr, "praetor-spawn: %s needs a non-negative number, got '%s'\n", flag, s);
    _exit(HELPER_FAILURE);
  }
  return v;
}

static void parse(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof(*o));
  o->uid = o->gid = o->target = -1;
  if (argc < 2) die_usage("usage: praetor-spawn launch|enter|pid1 [options] -- argv");
  o->mode = argv[1];
  int i = 2;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) { i++; break; }
    if (i + 1 >= argc) die_usage("option without a value");
    const char *v = argv[++i];
    if (strcmp(a, "--uid") == 0) o->uid = parse_number(v, a);
    else if (strcmp(a, "--gid") == 0) o->gid = parse_number(v, a);
    else if (strcmp(a, "--target") == 0) o->target = parse_number(v, a);
    else if (strcmp(a, "--netns") == 0) o->netns = v;
    else if (strcmp(a, "--cwd") == 0) o->cwd = v;
    else if (strcmp(a, "--seccomp") == 0) o->seccomp = v;
    else if (strcmp(a, "--cgroup") == 0) {
      if (o->ncgroups == MAX_CGROUPS) die_usage("too many --cgroup");
      o->cgroups[o->ncgroups++] = v;
    } else {
      fprintf(stderr, "praetor-spawn: unknown option %s\n", a);
      _exit(HELPER_FAILURE);
    }
  }
  o->argv = argv + i;
}

/* Moving ourselves before fork/exec means every descendant starts inside the cgroup. */
static void join_cgroups(const struct options *o) {
  char pid[32];
  int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
  for (int i = 0; i < o->ncgroups; i++) {
    int fd = open(o->cgroups[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0) die(o->cgroups[i]);
    if (write(fd, pid, (size_t)n) != n) die(o->cgroups[i]);
    close(fd);
  }
}

static void become(const struct options *o) {
  if (o->uid < 0 || o->gid < 0) die_usage("--uid and --gid are required");
  /* Host root's supplementary groups would otherwise follow us in (group 0 file access). */
  if (setgroups(0, NULL) != 0) die("setgroups");
  if (setresgid((gid_t)o->gid, (gid_t)o->gid, (gid_t)o->gid) != 0) die("setresgid");
  /* Going from uid 0 to non-zero clears every capability of the initial namespace. */
  if (setresuid((uid_t)o->uid, (uid_t)o->uid, (uid_t)o->uid) != 0) die("setresuid");
}

static void join_netns_path(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  if (setns(fd, CLONE_NEWNET) != 0) die("setns(net)");
  close(fd);
}

static int open_ns(long pid, const char *ns) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/ns/%s", pid, ns);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  return fd;
}

static int same_ns(int fd, const char *path) {
  struct stat a, b;
  if (fstat(fd, &a) != 0 || stat(path, &b) != 0) die("stat(ns)");
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void load_seccomp(const char *path, struct sock_fprog *prog) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  struct stat st;
  if (fstat(fd, &st) != 0) die("fstat(seccomp)");
  if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
      st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
    die_usage("seccomp file is not a whole sock_filter array");
  struct sock_filter *f = malloc((size_t)st.st_size);
  if (f == NULL) die("malloc");
  ssize_t got = read(fd, f, (size_t)st.st_size);
  if (got != st.st_size) die("read(seccomp)");
  close(fd);
  prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
  prog->filter = f;
}

static void drop_all_capabilities(void) {
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("PR_CAPBSET_DROP");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    die("PR_CAP_AMBIENT_CLEAR_ALL");
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  if (syscall(SYS_capset, &hdr, data) != 0) die("capset");
}

static int wait_status(pid_t child) {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(child, &status, 0);
    if (r == child) break;
    if (r < 0 && errno != EINTR) die("waitpid");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return HELPER_FAILURE;
}

static pid_t forward_target;
static void forward_signal(int sig) {
  if (forward_target > 0) kill(forward_target, sig);
}

/*
 * Order matters: the network namespace belongs to the initial user namespace, so it is
 * joined while we are still host root; the sandbox's user namespace is owned by the
 * sandbox's host uid, so we become that uid first and then join it (which grants caps
 * inside it only), and only then can the namespaces it owns (ipc, uts, pid, mnt) be joined.
 */
static int enter(const struct options *o) {
  if (o->target <= 0) die_usage("enter needs --target PID");
  if (o->argv[0] == NULL) die_usage("enter needs a command after --");
  join_cgroups(o);
  struct sock_fprog prog = {0, NULL};
  if (o->seccomp != NULL) load_seccomp(o->seccomp, &prog);
  int fd_net = open_ns(o->target, "net"), fd_user = open_ns(o->target, "user");
  int fd_ipc = open_ns(o->target, "ipc"), fd_uts = open_ns(o->target, "uts");
  int fd_pid = open_ns(o->target, "pid"), fd_mnt = open_ns(o->target, "mnt");
  /* bubblewrap nests two user namespaces: the outer one owns ipc/uts/pid/mnt, the inner
   * one holds the sandbox's uid map. Join the outer first when there is one. */
  int fd_owner = ioctl(fd_user, NS_GET_PARENT);
  if (fd_owner >= 0 && same_ns(fd_owner, "/proc/self/ns/user")) {
    close(fd_owner);
    fd_owner = -1;
  }
  if (setns(fd_net, CLONE_NEWNET) != 0) die("setns(net)");
  become(o);
  if (fd_owner >= 0 && setns(fd_owner, CLONE_NEWUSER) != 0) die("setns(user owner)");
  if (setns(fd_ipc, CLONE_NEWIPC) != 0) die("setns(ipc)");
  if (setns(fd_uts, CLONE_NEWUTS) != 0) die("setns(uts)");
  if (setns(fd_pid, CLONE_NEWPID) != 0) die("setns(pid)");
  if (setns(fd_mnt, CLONE_NEWNS) != 0) die("setns(mnt)");
  if (setns(fd_user, CLONE_NEWUSER) != 0) die("setns(user)");
  close(fd_net); close(fd_user); close(fd_ipc); close(fd_uts); close(fd_pid); close(fd_mnt);
  if (fd_owner >= 0) close(fd_owner);

  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    if (chdir(o->cwd != NULL ? o->cwd : "/") != 0) die(o->cwd != NULL ? o->cwd : "/");
    drop_all_capabilities();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
    if (prog.filter != NULL && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
      die("seccomp");
    execvp(o->argv[0], o->argv);
    fprintf(stderr, "praetor-spawn: exec %s: %s\n", o->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  forward_target = child;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = forward_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  return wait_status(child);
}

static int launch(const struct options *o) {
  if (o->argv[0] == NULL) die_usage("launch needs a command after --");
  join_cgroups(o);
  if (o->netns != NULL) join_netns_path(o->netns);
  become(o);
  execvp(o->argv[0], o->argv);
  die(o->argv[0]);
  return HELPER_FAILURE;
}

static void on_child(int sig) { (void)sig; }

static int pid1(void) {
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &wait_mask);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, NULL);
  sigdelset(&wait_mask, SIGCHLD);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    sigsuspend(&wait_mask);
  }
  return 0;
}

int main(int argc, char **argv) {
  struct options o;
  parse(argc, argv, &o);
  if (strcmp(o.mode, "enter") == 0) return enter(&o);
  if (strcmp(o.mode, "launch") == 0) return launch(&o);
  if (strcmp(o.mode, "pid1") == 0) return pid1();
  die_usage("mode must be launch, enter or pid1");
  return HELPER_FAILURE;
}
