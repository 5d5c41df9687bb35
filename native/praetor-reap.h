/*
 * praetor-reap.h: empties a sandbox's cgroups when praetor dies, frozen processes included.
 *
 * bubblewrap's --die-with-parent kills the sandbox's init when praetor dies, and the kernel then
 * kills the rest of its PID namespace; but a task frozen by the cgroup v1 freezer takes no signal
 * until it is thawed, so a praetor killed while its sandbox was frozen left every frozen process
 * alive. The sandbox's spawner (one host-side process per sandbox, outside the sandbox's cgroups)
 * calls reap_sandbox() when praetor goes: cgroup.kill on v2 (Linux 5.14+, frozen tasks
 * included), and on v1 freeze, SIGKILL every listed task, thaw, until no task is listed.
 * Hand-written: a few syscalls between praetor's death and our own, where no library can run.
 */
#ifndef PRAETOR_REAP_H
#define PRAETOR_REAP_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_REAP_DIRS 8
#define REAP_MAX_DEPTH 4
#define REAP_ROUNDS 1000 /* 10 rounds of 2 ms, then 10 ms each: about 10 s in all */

/* Sandbox cgroup directories (one per hierarchy that holds every process of the sandbox). */
static const char *reap_dirs[MAX_REAP_DIRS];
static int nreap_dirs;

static int reap_add_dir(const char *dir) {
  if (nreap_dirs == MAX_REAP_DIRS || dir == NULL || dir[0] != '/') return -1;
  reap_dirs[nreap_dirs++] = dir;
  return 0;
}

/* Writes value to dir/name; a file this hierarchy does not have is simply skipped. */
static void reap_write(const char *dir, const char *name, const char *value) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) return;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t ignored = write(fd, value, strlen(value));
  (void)ignored;
  close(fd);
}

/* SIGKILLs every task listed in dir and the cgroups below it; returns how many were listed. */
static int reap_kill_listed(const char *dir, int depth) {
  char path[PATH_MAX];
  int listed = 0;
  if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path)) return 0;
  FILE *f = fopen(path, "re");
  if (f != NULL) {
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) {
      if (pid > 0 && pid != (long)getpid()) kill((pid_t)pid, SIGKILL);
      listed++;
    }
    fclose(f);
  }
  if (depth >= REAP_MAX_DEPTH) return listed;
  DIR *d = opendir(dir);
  if (d == NULL) return listed;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path)) continue;
    listed += reap_kill_listed(path, depth + 1);
  }
  closedir(d);
  return listed;
}

/* Kills every process of the sandbox and returns once none is listed (or after about 10 s). */
static void reap_sandbox(void) {
  for (int round = 0; nreap_dirs > 0 && round < REAP_ROUNDS; round++) {
    int listed = 0;
    for (int i = 0; i < nreap_dirs; i++) {
      const char *dir = reap_dirs[i];
      reap_write(dir, "cgroup.kill", "1");        /* v2: the whole subtree at once */
      reap_write(dir, "freezer.state", "FROZEN"); /* v1: nothing forks while we signal */
      listed += reap_kill_listed(dir, 0);
      reap_write(dir, "freezer.state", "THAWED"); /* v1: a frozen task dies once thawed */
      reap_write(dir, "cgroup.freeze", "0");      /* v2 before 5.14: frozen tasks die of SIGKILL anyway */
    }
    if (listed == 0) return;
    usleep(round < 10 ? 2000 : 10000);
  }
}

#endif
