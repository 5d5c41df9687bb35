/*
 * praetor-spawner: starts a sandbox's execs so that praetor's main thread does not have to.
 *
 * node's child_process.spawn forks the whole praetor process (its page tables, hundreds of
 * MiB mapped) on the main thread: about 4.5 ms per exec. This small static process starts
 * them instead (vfork + execve: tens of microseconds, off praetor's thread), and streams
 * each child's stdout and stderr back to praetor over its own stdout as frames. Node can not
 * receive file descriptors (SCM_RIGHTS) from a C process, hence streamed frames; no library
 * does this.
 *
 * Started as `praetor-spawner --target PID --start-time T --uid U --gid G [--seccomp FILE]
 * [--reap DIR]...`, it is one sandbox's: it keeps a pidfd of the sandbox init PID (whose /proc/PID/stat start time
 * must be T) and the seccomp program, and EXEC_IN runs
 * a step in that sandbox with praetor-enter.h (fork, join the step's cgroups and the sandbox's
 * namespaces as uid U, fork the command with no capabilities, no_new_privs and the filter), as
 * `praetor-spawn enter` would, minus an exec of it and the reopening of seven files per step.
 *
 * Frames, both ways: u32 length of the rest, u8 type, u32 id, payload (host byte order).
 *   requests on stdin:
 *     EXEC     u32 argc, u32 envc, u32 stdin length, the stdin bytes, then argc + envc
 *              NUL-terminated strings; argv[0] is the path executed (no PATH search)
 *     EXEC_IN  u32 argc, u32 envc, u32 stdin length, u32 ncgroups, the stdin bytes, then
 *              argc + envc + 1 + ncgroups strings: argv (PATH-searched in env's PATH), env, the
 *              working directory, the cgroup.procs files of the step; only with --target.
 *              Where entering fails the exec exits 125 with the reason on its stderr.
 *     RELEASE  stop forwarding the exec's output: it is drained and dropped until EOF, so
 *              daemons that still hold the pipes never die of SIGPIPE
 *   events on stdout:
 *     STARTED  u32 pid          FAILED  i32 errno (nothing was started)
 *     STDOUT, STDERR  bytes     EOF     u8 stream (1 stdout, 2 stderr)
 *     EXIT     i32 code (-1 when killed), i32 signal (0 when it exited)
 * EOF on stdin ends the spawner, and so does praetor's death (PR_SET_PDEATHSIG, or a write that
 * finds praetor's end of the pipe closed). Either way it first kills every process of the
 * sandbox's cgroups named by --reap (praetor-reap.h): no sandbox process outlives praetor, frozen
 * or not. After a destroy those cgroups are gone already and there is nothing to do.
 * Exit status 125 means the spawner itself failed; the message on stderr says where.
 */
#include "praetor-enter.h"
#include "praetor-reap.h"

#include <poll.h>
#include <stdint.h>
#include <sys/signalfd.h>

#define SPAWNER_FAILURE 125
#define HEADER 9 /* u32 length + u8 type + u32 id */
#define MAX_REQUEST (1u << 30)
#define CHUNK 65536

enum { REQ_EXEC = 1, REQ_RELEASE = 2, REQ_EXEC_IN = 3 };
enum { EV_STARTED = 1, EV_FAILED = 2, EV_STDOUT = 3, EV_STDERR = 4, EV_EOF = 5, EV_EXIT = 6 };

struct exec {
  uint32_t id;
  pid_t pid; /* 0 once reaped */
  int in_fd, out_fd, err_fd; /* -1 once closed */
  char *input;
  size_t input_len, input_off;
  int released;
};

static struct exec *execs;
static size_t nexecs, cap_execs;
static char scratch[CHUNK];

static void die(const char *what) {
  fprintf(stderr, "praetor-spawner: %s: %s\n", what, strerror(errno));
  _exit(SPAWNER_FAILURE);
}

/* praetor is gone (or closed our input): the sandbox goes with it. */
static void praetor_gone(void) {
  reap_sandbox();
  _exit(0);
}

static void write_all(const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t w = write(STDOUT_FILENO, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EPIPE) praetor_gone();
    if (w < 0) _exit(SPAWNER_FAILURE);
    p += w;
    len -= (size_t)w;
  }
}

static void send_event(uint8_t type, uint32_t id, const void *payload, uint32_t len) {
  char head[HEADER];
  uint32_t total = len + 5;
  memcpy(head, &total, 4);
  head[4] = (char)type;
  memcpy(head + 5, &id, 4);
  write_all(head, HEADER);
  if (len > 0) write_all(payload, len);
}

static void send_i32s(uint8_t type, uint32_t id, int32_t a, int32_t b, int count) {
  int32_t v[2] = {a, b};
  send_event(type, id, v, (uint32_t)(count * 4));
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void set_nonblocking(int fd, int on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0) die("fcntl");
}

/* Forwards up to `rounds` chunks of one output pipe (a bound, so one flooding step can not
 * starve the others); at EOF the pipe is closed and praetor told. */
static void pump(struct exec *e, int *fd, uint8_t stream, int rounds) {
  while (rounds-- > 0) {
    ssize_t r = read(*fd, scratch, sizeof(scratch));
    if (r > 0) {
      if (!e->released) send_event(stream == 1 ? EV_STDOUT : EV_STDERR, e->id, scratch, (uint32_t)r);
      if ((size_t)r < sizeof(scratch)) return;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return;
    close_fd(fd);
    if (!e->released) send_event(EV_EOF, e->id, &stream, 1);
    return;
  }
}

static void feed(struct exec *e) {
  while (e->input_off < e->input_len) {
    ssize_t w = write(e->in_fd, e->input + e->input_off, e->input_len - e->input_off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w < 0) break; /* EPIPE: the command exited without reading its input */
    e->input_off += (size_t)w;
  }
  close_fd(&e->in_fd);
  free(e->input);
  e->input = NULL;
}

static int finished(const struct exec *e) {
  return e->pid == 0 && e->in_fd < 0 && e->out_fd < 0 && e->err_fd < 0;
}

static struct exec *find(uint32_t id) {
  for (size_t i = 0; i < nexecs; i++)
    if (execs[i].id == id) return &execs[i];
  return NULL;
}

static int pipe_pair(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/* Set by a vfork child whose execve failed (it shares our memory until it execs or exits). */
static volatile int exec_errno;

/*
 * What every child starts with, as node would start it: default signal dispositions and an empty
 * mask (we ignore SIGPIPE and block SIGCHLD; glibc's posix_spawn would also leave its internal
 * signals ignored), normal scheduling, and the exec's pipes as 0-2. Returns -1 when a dup2 failed.
 */
static int child_stdio(int in, int out, int err) {
  sigset_t none;
  struct sched_param normal = {0};
  sigemptyset(&none);
  sched_setscheduler(0, SCHED_OTHER, &normal);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  return dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ? -1 : 0;
}

/*
 * vfork: the child borrows this small process's memory until it execs, so nothing is copied.
 * It keeps only fds 0-2 (every other descriptor here is close-on-exec).
 */
static int launch(char **argv, char **envp, int in, int out, int err, pid_t *pid) {
  exec_errno = 0;
  pid_t child = vfork();
  if (child < 0) return errno;
  if (child == 0) {
    if (child_stdio(in, out, err) != 0) {
      exec_errno = errno;
      _exit(127);
    }
    execve(argv[0], argv, envp);
    exec_errno = errno;
    _exit(127);
  }
  if (exec_errno != 0) {
    int saved = exec_errno;
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
    }
    return saved;
  }
  *pid = child;
  return 0;
}

static int exited(int pidfd) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

/* The sandbox this spawner serves (--target); sandbox.pidfd is -1 for a host-only spawner. */
static struct sandbox_ns sandbox = {-1, -1, -1, -1, -1, -1, -1, -1};
static long sandbox_pid = -1, sandbox_uid = -1, sandbox_gid = -1;
static struct sock_fprog sandbox_filter;
static int sandbox_has_filter, sandbox_last_cap = 63;
/* setns() takes a pidfd since Linux 5.8; before, each step opens /proc/PID/ns/ itself. */
static int setns_takes_pidfd;


/*
 * A step: fork (not vfork: the child joins namespaces and forks again before any exec), and in
 * the child enter the sandbox and run argv there. The child keeps only its stdio and the
 * sandbox's descriptors, so it holds no other exec's pipe open while its step runs.
 */
static int launch_in(char **argv, char **envp, const char *cwd, const char *const *cgroups, int ncgroups, int in, int out, int err, pid_t *pid) {
  pid_t child = fork();
  if (child < 0) return errno;
  if (child == 0) {
    if (child_stdio(in, out, err) != 0) _exit(ENTER_FAILURE);
    struct sandbox_ns ns = sandbox;
    if (!setns_takes_pidfd) {
      int rc = open_sandbox_ns(sandbox_pid, &ns);
      if (rc != 0) {
        errno = rc;
        enter_die("open the sandbox's namespaces");
      }
      ns.pidfd = sandbox.pidfd;
      /* Opened by pid: they are the init's only if the init still lives now. */
      if (exited(sandbox.pidfd)) {
        errno = ESRCH;
        enter_die("the sandbox init");
      }
    }
    int keep[8] = {ns.net, ns.user, ns.owner, ns.ipc, ns.uts, ns.pid, ns.mnt, ns.pidfd};
    close_fds_except(keep, 8);
    environ = envp;
    struct enter_request r = {
        .ns = &ns,
        .uid = sandbox_uid,
        .gid = sandbox_gid,
        .cgroups = cgroups,
        .ncgroups = ncgroups,
        .cwd = cwd,
        .seccomp = sandbox_has_filter ? &sandbox_filter : NULL,
        .last_cap = sandbox_last_cap,
        .argv = argv,
    };
    _exit(enter_and_run(&r));
  }
  *pid = child;
  return 0;
}

static void start_exec(uint32_t id, const char *p, uint32_t len, int enter) {
  uint32_t argc, envc, input_len, ncgroups = 0;
  size_t head = enter ? 16 : 12;
  if (len < head) goto malformed;
  memcpy(&argc, p, 4);
  memcpy(&envc, p + 4, 4);
  memcpy(&input_len, p + 8, 4);
  if (enter) memcpy(&ncgroups, p + 12, 4);
  if (argc == 0 || input_len > len - head || ncgroups > 64) goto malformed;
  if (enter && sandbox.pidfd < 0) {
    fprintf(stderr, "praetor-spawner: EXEC_IN %u to a spawner started without --target\n", id);
    _exit(SPAWNER_FAILURE);
  }
  const char *input = p + head, *strings = input + input_len, *end = p + len;
  /* Each string takes at least its NUL: more strings than bytes is a malformed frame (and the
   * sum, in 64 bits, can not wrap). */
  uint64_t wanted = (uint64_t)argc + envc + (enter ? 1 + (uint64_t)ncgroups : 0);
  if (wanted > (uint64_t)(end - strings)) goto malformed;
  uint32_t nstrings = (uint32_t)wanted;
  /* argv, NULL, env, NULL, then cwd and the cgroups */
  char **vec = calloc((size_t)nstrings + 2, sizeof(char *));
  if (vec == NULL) die("calloc");
  const char *s = strings;
  for (uint32_t i = 0; i < nstrings; i++) {
    const char *nul = memchr(s, '\0', (size_t)(end - s));
    if (nul == NULL) {
      free(vec);
      goto malformed;
    }
    vec[i < argc ? i : i < argc + envc ? i + 1 : i + 2] = (char *)s;
    s = nul + 1;
  }
  char **argv = vec, **envp = vec + argc + 1;
  char **extra = vec + argc + envc + 2;

  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  int rc = 0;
  if (pipe_pair(in) != 0 || pipe_pair(out) != 0 || pipe_pair(err) != 0) rc = errno;
  pid_t pid = 0;
  if (rc == 0 && enter)
    rc = launch_in(argv, envp, extra[0], (const char *const *)(extra + 1), (int)ncgroups, in[0], out[1], err[1], &pid);
  else if (rc == 0)
    rc = launch(argv, envp, in[0], out[1], err[1], &pid);
  free(vec);
  close_fd(&in[0]);
  close_fd(&out[1]);
  close_fd(&err[1]);
  if (rc != 0) {
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    send_i32s(EV_FAILED, id, rc, 0, 1);
    return;
  }
  if (nexecs == cap_execs) {
    cap_execs = cap_execs ? cap_execs * 2 : 16;
    execs = realloc(execs, cap_execs * sizeof(*execs));
    if (execs == NULL) die("realloc");
  }
  struct exec *e = &execs[nexecs++];
  memset(e, 0, sizeof(*e));
  e->id = id;
  e->pid = pid;
  e->in_fd = in[1];
  e->out_fd = out[0];
  e->err_fd = err[0];
  set_nonblocking(e->in_fd, 1);
  set_nonblocking(e->out_fd, 1);
  set_nonblocking(e->err_fd, 1);
  send_i32s(EV_STARTED, id, pid, 0, 1);
  if (input_len > 0) {
    e->input = malloc(input_len);
    if (e->input == NULL) die("malloc");
    memcpy(e->input, input, input_len);
    e->input_len = input_len;
  }
  feed(e);
  return;
malformed:
  fprintf(stderr, "praetor-spawner: malformed EXEC request %u\n", id);
  _exit(SPAWNER_FAILURE);
}

/* Requests arrive in a growing buffer; whole frames are handled, a partial one waits. */
static char *req;
static size_t req_len, req_cap;

static int read_requests(void) {
  if (req_cap - req_len < CHUNK) {
    req_cap = req_cap ? req_cap * 2 : 4 * CHUNK;
    req = realloc(req, req_cap);
    if (req == NULL) die("realloc");
  }
  ssize_t r = read(STDIN_FILENO, req + req_len, req_cap - req_len);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (r <= 0) return 0;
  req_len += (size_t)r;
  size_t off = 0;
  while (req_len - off >= 4) {
    uint32_t total;
    memcpy(&total, req + off, 4);
    if (total < 5 || total > MAX_REQUEST) {
      fprintf(stderr, "praetor-spawner: bad request length %u\n", total);
      _exit(SPAWNER_FAILURE);
    }
    if (req_len - off - 4 < total) {
      while (req_cap < total + 4) {
        req_cap *= 2;
        req = realloc(req, req_cap);
        if (req == NULL) die("realloc");
      }
      break;
    }
    uint8_t type = (uint8_t)req[off + 4];
    uint32_t id;
    memcpy(&id, req + off + 5, 4);
    if (type == REQ_EXEC || type == REQ_EXEC_IN) start_exec(id, req + off + HEADER, total - 5, type == REQ_EXEC_IN);
    else if (type == REQ_RELEASE) {
      struct exec *e = find(id);
      if (e != NULL) e->released = 1;
    } else {
      fprintf(stderr, "praetor-spawner: unknown request type %u\n", type);
      _exit(SPAWNER_FAILURE);
    }
    off += 4 + total;
  }
  memmove(req, req + off, req_len - off);
  req_len -= off;
  return 1;
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < nexecs; i++) {
      struct exec *e = &execs[i];
      if (e->pid != pid) continue;
      e->pid = 0;
      /* Output written before the exit goes first, so praetor usually sees EOF then EXIT. */
      if (e->out_fd >= 0) pump(e, &e->out_fd, 1, 16);
      if (e->err_fd >= 0) pump(e, &e->err_fd, 2, 16);
      if (!e->released) {
        if (WIFSIGNALED(status)) send_i32s(EV_EXIT, e->id, -1, WTERMSIG(status), 2);
        else send_i32s(EV_EXIT, e->id, WEXITSTATUS(status), 0, 2);
      }
      break;
    }
  }
}

static long number_arg(const char *flag, const char *v) {
  char *end = NULL;
  errno = 0;
  long n = v == NULL ? -1 : strtol(v, &end, 10);
  if (v == NULL || errno != 0 || end == v || *end != '\0' || n < 0) {
    fprintf(stderr, "praetor-spawner: %s needs a non-negative number\n", flag);
    _exit(SPAWNER_FAILURE);
  }
  return n;
}


/* Whether this kernel's setns() takes a pidfd (5.8+): tried once in a throwaway child. */
static int probe_setns_pidfd(int pidfd) {
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) _exit(setns(pidfd, CLONE_NEWNET) == 0 ? 0 : errno == EINVAL ? 1 : 2);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
    fprintf(stderr, "praetor-spawner: the sandbox init %ld can not be entered\n", sandbox_pid);
    _exit(SPAWNER_FAILURE);
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), or NULL. */
static const char *start_time_of(long pid, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n <= 0) return NULL;
  buf[n] = '\0';
  /* comm (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed. */
  char *p = strrchr(buf, ')');
  if (p == NULL) return NULL;
  p += 2;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (p == NULL) return NULL;
    p++;
  }
  char *end = strchr(p, ' ');
  if (end != NULL) *end = '\0';
  return p;
}

/* --target PID --start-time T --uid U --gid G [--seccomp FILE]: the sandbox this spawner serves. */
static void serve_sandbox(int argc, char **argv) {
  const char *seccomp = NULL, *start_time = NULL;
  for (int i = 1; i < argc; i += 2) {
    const char *flag = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(flag, "--target") == 0) sandbox_pid = number_arg(flag, v);
    else if (strcmp(flag, "--uid") == 0) sandbox_uid = number_arg(flag, v);
    else if (strcmp(flag, "--gid") == 0) sandbox_gid = number_arg(flag, v);
    else if (strcmp(flag, "--seccomp") == 0 && v != NULL) seccomp = v;
    else if (strcmp(flag, "--start-time") == 0 && v != NULL) start_time = v;
    else if (strcmp(flag, "--reap") == 0) continue; /* taken by reap_args() */
    else {
      fprintf(stderr, "praetor-spawner: unknown option %s\n", flag);
      _exit(SPAWNER_FAILURE);
    }
  }
  if (sandbox_pid <= 0 || start_time == NULL || sandbox_uid < 0 || sandbox_gid < 0) {
    fprintf(stderr, "praetor-spawner: --target, --start-time, --uid and --gid go together\n");
    _exit(SPAWNER_FAILURE);
  }
  /* The pidfd names this very process: if the init dies, entering fails, even once its pid is
   * reused. That it is the init (and not a process that got its pid after it died, before this
   * spawner started) is checked with the start time praetor saw, once the pidfd holds it. */
  sandbox.pidfd = (int)syscall(SYS_pidfd_open, (pid_t)sandbox_pid, 0);
  if (sandbox.pidfd < 0) die("pidfd_open(--target) (needs Linux 5.3 or later)");
  char stat[1024];
  const char *now = start_time_of(sandbox_pid, stat, sizeof(stat));
  if (now == NULL || strcmp(now, start_time) != 0) {
    fprintf(stderr, "praetor-spawner: the sandbox init %ld is gone (its pid names another process)\n", sandbox_pid);
    _exit(SPAWNER_FAILURE);
  }
  int user = open_ns_of(sandbox_pid, "user");
  if (user < 0) die("open the sandbox's user namespace");
  sandbox.owner = owner_of(user);
  close(user);
  if (exited(sandbox.pidfd)) {
    fprintf(stderr, "praetor-spawner: the sandbox init %ld is gone\n", sandbox_pid);
    _exit(SPAWNER_FAILURE);
  }
  if (seccomp != NULL) {
    read_seccomp(seccomp, &sandbox_filter);
    sandbox_has_filter = 1;
  }
  sandbox_last_cap = last_capability();
  setns_takes_pidfd = probe_setns_pidfd(sandbox.pidfd);
}

/* The --reap directories, taken first: praetor may die at any moment from now on. */
static void reap_args(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--reap") != 0) continue;
    if (reap_add_dir(argv[i + 1]) != 0) {
      fprintf(stderr, "praetor-spawner: --reap needs an absolute path (at most %d)\n", MAX_REAP_DIRS);
      _exit(SPAWNER_FAILURE);
    }
  }
}

int main(int argc, char **argv) {
  /* praetor's death arrives as SIGTERM, read from the signalfd below (SIGKILL would leave no
   * time to reap); it stays blocked until then, so it can not end us halfway. */
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &handled, NULL) != 0) die("sigprocmask");
  reap_args(argc, argv);
  if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) die("PR_SET_PDEATHSIG");
  if (getppid() == 1) praetor_gone(); /* praetor died before we got here */
  if (argc > 1) serve_sandbox(argc, argv);
  /* Nothing else of praetor's may follow a child in; 0-2 are replaced in every child. */
  syscall(SYS_close_range, 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  /* Batch: a request does not preempt praetor's thread on the spot (praetor, the busier of
   * the two, would otherwise lose its CPU at every write); what we start runs as normal. */
  struct sched_param batch = {0};
  sched_setscheduler(0, SCHED_BATCH, &batch);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  set_nonblocking(STDIN_FILENO, 0);
  set_nonblocking(STDOUT_FILENO, 0);

  struct pollfd *fds = NULL;
  struct exec **owner = NULL;
  size_t cap_fds = 0;
  for (;;) {
    size_t need = 2 + nexecs * 3;
    if (need > cap_fds) {
      cap_fds = need * 2;
      fds = realloc(fds, cap_fds * sizeof(*fds));
      owner = realloc(owner, cap_fds * sizeof(*owner));
      if (fds == NULL || owner == NULL) die("realloc");
    }
    size_t n = 0;
    fds[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    fds[n++] = (struct pollfd){sfd, POLLIN, 0};
    for (size_t i = 0; i < nexecs; i++) {
      struct exec *e = &execs[i];
      if (e->in_fd >= 0) owner[n] = e, fds[n++] = (struct pollfd){e->in_fd, POLLOUT, 0};
      if (e->out_fd >= 0) owner[n] = e, fds[n++] = (struct pollfd){e->out_fd, POLLIN, 0};
      if (e->err_fd >= 0) owner[n] = e, fds[n++] = (struct pollfd){e->err_fd, POLLIN, 0};
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    /* Pipes before exits, exits before new requests: the order praetor sees events in. */
    for (size_t k = 2; k < n; k++) {
      if (fds[k].revents == 0) continue;
      struct exec *e = owner[k];
      if (fds[k].fd == e->in_fd) feed(e);
      else if (fds[k].fd == e->out_fd) pump(e, &e->out_fd, 1, 4);
      else if (fds[k].fd == e->err_fd) pump(e, &e->err_fd, 2, 4);
    }
    if (fds[1].revents != 0) {
      struct signalfd_siginfo info;
      int term = 0;
      while (read(sfd, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGTERM) term = 1;
      }
      reap();
      if (term) praetor_gone();
    }
    /* Drop what is over; the array is compacted, so no pointer into it survives this. */
    size_t kept = 0;
    for (size_t i = 0; i < nexecs; i++) {
      if (finished(&execs[i])) free(execs[i].input);
      else execs[kept++] = execs[i];
    }
    nexecs = kept;
    if (fds[0].revents != 0 && !read_requests()) praetor_gone();
  }
}
