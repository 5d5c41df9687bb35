/*
 * praetor-enter.h: how a process enters a running sandbox, shared by praetor-spawn (one exec per
 * call, for tools and tests) and praetor-spawner (the exec path of every step, which keeps the
 * sandbox's namespace descriptors and seccomp filter open instead of reopening them per step).
 *
 * The order is the kernel's, not a choice: the network namespace belongs to the initial user
 * namespace, so it is joined while still host root; the sandbox's user namespace is owned by the
 * sandbox's host uid, so that uid is taken first and then the user namespace joined (which grants
 * capabilities inside it only); only then can the namespaces it owns (ipc, uts, pid, mnt) be
 * joined. Joining a pid namespace affects children only, hence the fork in enter_and_run().
 * No library does this, hence hand-written C.
 */
#ifndef PRAETOR_ENTER_H
#define PRAETOR_ENTER_H

#define _GNU_SOURCE
#include <dirent.h>
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

#define ENTER_FAILURE 125

/*
 * A sandbox init's namespaces: a descriptor for each, or -1 to join that one through pidfd (a
 * pidfd of the init: setns accepts one since Linux 5.8, and it pins no namespace, so a network
 * namespace praetor deletes goes away at once). owner is the outer user namespace bubblewrap
 * nests, -1 when there is none.
 */
struct sandbox_ns {
  int net, user, owner, ipc, uts, pid, mnt;
  int pidfd;
};

/* Reports where entering failed on stderr (the step's own stderr) and exits 125. */
static void enter_die(const char *what) {
  fprintf(stderr, "praetor: entering the sandbox: %s: %s\n", what, strerror(errno));
  _exit(ENTER_FAILURE);
}

static void enter_die_msg(const char *what) {
  fprintf(stderr, "praetor: entering the sandbox: %s\n", what);
  _exit(ENTER_FAILURE);
}

/* Writing our pid before fork/exec means every descendant starts inside the cgroup. */
static void join_cgroups(const char *const *procs_files, int n) {
  char pid[32];
  int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
  for (int i = 0; i < n; i++) {
    int fd = open(procs_files[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0) enter_die(procs_files[i]);
    if (write(fd, pid, (size_t)len) != len) enter_die(procs_files[i]);
    close(fd);
  }
}

static void become(long uid, long gid) {
  if (uid < 0 || gid < 0) enter_die_msg("a uid and a gid are required");
  /* Host root's supplementary groups would otherwise follow us in (group 0 file access). */
  if (setgroups(0, NULL) != 0) enter_die("setgroups");
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) enter_die("setresgid");
  /* Going from uid 0 to non-zero clears every capability of the initial namespace. */
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) enter_die("setresuid");
}

static int open_ns_of(long pid, const char *ns) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%ld/ns/%s", pid, ns);
  return open(path, O_RDONLY | O_CLOEXEC);
}

static int same_file(int fd, const char *path) {
  struct stat a, b;
  if (fstat(fd, &a) != 0 || stat(path, &b) != 0) return 0;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * bubblewrap nests two user namespaces: the outer one owns ipc/uts/pid/mnt, the inner one holds
 * the sandbox's uid map. The outer is joined first when there is one: its fd, or -1.
 */
static int owner_of(int user_ns) {
  int owner = ioctl(user_ns, NS_GET_PARENT);
  if (owner >= 0 && same_file(owner, "/proc/self/ns/user")) {
    close(owner);
    owner = -1;
  }
  return owner;
}

/* Opens the namespaces of sandbox init `pid`; returns 0, or an errno with every fd closed. */
static int open_sandbox_ns(long pid, struct sandbox_ns *ns) {
  const char *names[] = {"net", "user", "ipc", "uts", "pid", "mnt"};
  int *slots[] = {&ns->net, &ns->user, &ns->ipc, &ns->uts, &ns->pid, &ns->mnt};
  ns->owner = -1;
  ns->pidfd = -1;
  for (int i = 0; i < 6; i++) {
    *slots[i] = open_ns_of(pid, names[i]);
    if (*slots[i] < 0) {
      int saved = errno;
      for (int j = 0; j < i; j++) close(*slots[j]);
      return saved;
    }
  }
  ns->owner = owner_of(ns->user);
  return 0;
}


/* Reads a seccomp program: a file holding a whole array of struct sock_filter. */
static void read_seccomp(const char *path, struct sock_fprog *prog) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) enter_die(path);
  struct stat st;
  if (fstat(fd, &st) != 0) enter_die("fstat(seccomp)");
  if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
      st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
    enter_die_msg("the seccomp file is not a whole sock_filter array");
  struct sock_filter *f = malloc((size_t)st.st_size);
  if (f == NULL) enter_die("malloc");
  if (read(fd, f, (size_t)st.st_size) != st.st_size) enter_die("read(seccomp)");
  close(fd);
  prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
  prog->filter = f;
}

/* The highest capability this kernel knows; dropping past it only earns EINVAL. */
static int last_capability(void) {
  int last = 63;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f != NULL) {
    if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63) last = 63;
    fclose(f);
  }
  return last;
}

static void drop_all_capabilities(int last_cap) {
  for (int cap = 0; cap <= last_cap; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) enter_die("PR_CAPBSET_DROP");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    enter_die("PR_CAP_AMBIENT_CLEAR_ALL");
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  if (syscall(SYS_capset, &hdr, data) != 0) enter_die("capset");
}

static void join_one(const struct sandbox_ns *ns, int fd, int type, const char *what) {
  if (setns(fd >= 0 ? fd : ns->pidfd, type) != 0) enter_die(what);
}

static void join_sandbox_ns(const struct sandbox_ns *ns, long uid, long gid) {
  join_one(ns, ns->net, CLONE_NEWNET, "setns(net)");
  become(uid, gid);
  if (ns->owner >= 0 && setns(ns->owner, CLONE_NEWUSER) != 0) enter_die("setns(user owner)");
  join_one(ns, ns->ipc, CLONE_NEWIPC, "setns(ipc)");
  join_one(ns, ns->uts, CLONE_NEWUTS, "setns(uts)");
  join_one(ns, ns->pid, CLONE_NEWPID, "setns(pid)");
  join_one(ns, ns->mnt, CLONE_NEWNS, "setns(mnt)");
  join_one(ns, ns->user, CLONE_NEWUSER, "setns(user)");
}

static int wait_status(pid_t child) {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(child, &status, 0);
    if (r == child) break;
    if (r < 0 && errno != EINTR) enter_die("waitpid");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return ENTER_FAILURE;
}

static pid_t forward_target;
static void forward_signal(int sig) {
  if (forward_target > 0) kill(forward_target, sig);
}

static int in_list(int fd, const int *keep, int n) {
  for (int i = 0; i < n; i++)
    if (keep[i] == fd) return 1;
  return 0;
}

/*
 * Closes every descriptor from 3 up but those in keep. close_range(2) (Linux 5.9) when there is
 * one; before it, each entry of /proc/self/fd. Fails closed: a descriptor that can not be listed
 * ends the process.
 */
static void close_fds_except(const int *keep, int n) {
  int sorted[16];
  int m = 0;
  for (int i = 0; i < n && m < 16; i++)
    if (keep[i] >= 3) sorted[m++] = keep[i];
  for (int i = 1; i < m; i++)
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
      int t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  unsigned int from = 3;
  int ok = 1;
  for (int i = 0; i < m && ok; i++) {
    if ((unsigned int)sorted[i] > from && syscall(SYS_close_range, from, (unsigned int)sorted[i] - 1, 0) != 0) ok = 0;
    from = (unsigned int)sorted[i] + 1;
  }
  if (ok && syscall(SYS_close_range, from, ~0U, 0) == 0) return;
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL) enter_die("list /proc/self/fd");
  int self = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < 3 || fd == self || in_list(fd, sorted, m)) continue;
    close(fd);
  }
  closedir(d);
}

struct enter_request {
  const struct sandbox_ns *ns;
  long uid, gid;
  const char *const *cgroups;
  int ncgroups;
  const char *cwd; /* NULL: / */
  const struct sock_fprog *seccomp; /* NULL: none */
  int last_cap;
  char **argv;
};

/*
 * Joins the step's cgroups and the sandbox's namespaces, then forks the command (the pid
 * namespace takes children only) with no capabilities, no_new_privs and the seccomp filter, and
 * returns its status (128 + signal when killed). The caller's environ is the command's: execvp
 * searches the PATH of that environment.
 */
static int enter_and_run(const struct enter_request *r) {
  if (r->argv[0] == NULL) enter_die_msg("no command");
  join_cgroups(r->cgroups, r->ncgroups);
  join_sandbox_ns(r->ns, r->uid, r->gid);
  pid_t child = fork();
  if (child < 0) enter_die("fork");
  if (child == 0) {
    /* A session of its own: praetor's controlling terminal (a user's shell) is then no longer
     * the command's, and /dev/tty inside fails with ENXIO instead of reaching that terminal. */
    if (setsid() < 0) enter_die("setsid");
    const char *cwd = r->cwd != NULL ? r->cwd : "/";
    if (chdir(cwd) != 0) enter_die(cwd);
    drop_all_capabilities(r->last_cap);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) enter_die("PR_SET_NO_NEW_PRIVS");
    if (r->seccomp != NULL && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, r->seccomp, 0, 0) != 0)
      enter_die("seccomp");
    execvp(r->argv[0], r->argv);
    fprintf(stderr, "praetor: exec %s: %s\n", r->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  /* The waiter needs no descriptor but its stdio now: the namespaces, the pidfd and anything
   * else it was given stay open only in the command, until its exec closes them. */
  close_fds_except(NULL, 0);
  forward_target = child;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = forward_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  return wait_status(child);
}

#endif
