/*
 * praetor-spawn: the one piece of praetor that must run between fork and exec.
 *
 * Node has no pre-exec hook, so it can not place a child in a cgroup, join namespaces,
 * drop privileges or load a seccomp filter before the child's first instruction. Doing
 * that with a chain of util-linux tools (sh + nsenter + setpriv) costs three execs and
 * still can not load seccomp; this helper does it in one exec, in an order the kernel's
 * permission rules allow (see praetor-enter.h). No library does this job, hence hand-written C.
 *
 * The entering itself lives in praetor-enter.h, shared with praetor-spawner, which runs every
 * step's exec that way without an exec of this helper.
 *
 * Modes:
 *   launch --uid U --gid G [--netns PATH] [--cgroup PROCS_FILE]... -- ARGV
 *       join cgroups, clear groups, join the network namespace, become U:G, exec ARGV
 *       (praetor uses it to start the sandbox's bubblewrap init unprivileged).
 *   enter --target PID --uid U --gid G [--cgroup PROCS_FILE]... [--cwd DIR]
 *         [--seccomp FILE] -- ARGV
 *       run ARGV inside the namespaces of sandbox init PID, with no capabilities,
 *       no_new_privs and the seccomp filter; waits and exits with ARGV's status.
 *   disk --template FILE --mount DIR --uid U --gid G
 *       the sandbox's disk: an unnamed sparse copy of the template, loop-mounted at DIR
 *       (praetor-disk.h).
 *   unmount --mount DIR
 *       detaches the disk mounted at DIR; nothing mounted there is not an error.
 *   pid1
 *       the sandbox's init: reaps orphans forever; as PID 1 of its namespace it ignores
 *       every signal sent from inside; it is not dumpable, so no process of the sandbox (same
 *       uid, no capabilities) can open its /proc/1/mem, environ or fds.
 *
 * Exit status 125 means the helper itself failed; the message says where.
 */
#include "praetor-enter.h"
#include "praetor-disk.h"

#define HELPER_FAILURE ENTER_FAILURE
#define MAX_CGROUPS 16

struct options {
  const char *mode;
  long uid, gid;
  long target;
  const char *netns;
  const char *cwd;
  const char *seccomp;
  const char *template, *mount;
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
  if (argc < 2) die_usage("usage: praetor-spawn launch|enter|disk|unmount|pid1 [options] -- argv");
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
    else if (strcmp(a, "--template") == 0) o->template = v;
    else if (strcmp(a, "--mount") == 0) o->mount = v;
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

static int enter(const struct options *o) {
  if (o->target <= 0) die_usage("enter needs --target PID");
  if (o->argv[0] == NULL) die_usage("enter needs a command after --");
  struct sock_fprog prog = {0, NULL};
  if (o->seccomp != NULL) read_seccomp(o->seccomp, &prog);
  struct sandbox_ns ns;
  int err = open_sandbox_ns(o->target, &ns);
  if (err != 0) {
    errno = err;
    die("open the namespaces of --target");
  }
  struct enter_request r = {
      .ns = &ns,
      .uid = o->uid,
      .gid = o->gid,
      .cgroups = o->cgroups,
      .ncgroups = o->ncgroups,
      .cwd = o->cwd,
      .seccomp = o->seccomp != NULL ? &prog : NULL,
      .last_cap = last_capability(),
      .argv = o->argv,
  };
  return enter_and_run(&r);
}

static int launch(const struct options *o) {
  if (o->argv[0] == NULL) die_usage("launch needs a command after --");
  join_cgroups(o->cgroups, o->ncgroups);
  if (o->netns != NULL) {
    int fd = open(o->netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(o->netns);
    if (setns(fd, CLONE_NEWNET) != 0) die("setns(net)");
    close(fd);
  }
  become(o->uid, o->gid);
  execvp(o->argv[0], o->argv);
  die(o->argv[0]);
  return HELPER_FAILURE;
}

static void on_child(int sig) { (void)sig; }

static int pid1(void) {
  /* Without this, any process of the sandbox (same uid) could write the init's memory through
   * /proc/1/mem and run code as the one process the sandbox can not kill. Only CAP_SYS_PTRACE
   * reaches a non-dumpable process, and nothing in the sandbox has it. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) die("PR_SET_DUMPABLE");
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
  if (strcmp(o.mode, "disk") == 0) {
    if (o.template == NULL || o.mount == NULL) die_usage("disk needs --template and --mount");
    return attach_disk(o.template, o.mount, o.uid, o.gid);
  }
  if (strcmp(o.mode, "unmount") == 0) {
    if (o.mount == NULL) die_usage("unmount needs --mount");
    return detach_disk(o.mount);
  }
  die_usage("mode must be launch, enter, disk, unmount or pid1");
  return HELPER_FAILURE;
}
