/*
 * praetor-fanotify: reports reads of the files praetor watches inside its sandboxes (the bait
 * credentials it plants, the credential files of a sandbox's home), with the process that read.
 *
 * Why hand-written C: fanotify is a pair of syscalls and a binary event stream that no Node
 * library speaks, and the reader's /proc entries must be read the moment the event arrives (a
 * `python3 -c "open(p).read()"` lives a few milliseconds), so this helper receives the event and
 * reads /proc at once; praetor only parses the lines it prints.
 *
 * Marks are inode marks (FAN_MARK_ADD on a path): they follow the file, not a mount, so a read
 * through the sandbox's bind mounts, in its own mount namespace, is reported as well as one from
 * the host. Commands on stdin, one per line:
 *   mark TAG file PATH   report reads of this file: FAN_ACCESS (a read(), sendfile, splice) and
 *                        FAN_CLOSE_NOWRITE (closed after a read-only open: also catches a reader
 *                        that maps the file instead of reading it)
 *   mark TAG dir PATH    the same for every file directly in this directory (FAN_EVENT_ON_CHILD,
 *                        close after a read-only open only); opening the directory itself (ls)
 *                        is not reported (no FAN_ONDIR)
 *   sync N               answered after every event already queued has been printed
 * and one JSON object per line on stdout:
 *   {"e":"ready","t":T}
 *   {"e":"marked","tag":N,"ok":true,"dev":D,"ino":I} | {"e":"marked","tag":N,"ok":false,"err":S}
 *   {"e":"read","t":T,"pid":P,"how":"access"|"close","dev":D,"ino":I,"path":S|null,
 *    "cg":"praetor/<id>/<leaf>"|null,"exe":S|null,"argv":[S...]|null}
 *                        (cg, exe and argv null: the reader was reaped before /proc was read)
 *   {"e":"overrun","t":T}   the kernel's queue overflowed: reads were lost
 *   {"e":"sync","n":N}
 * Only readers inside a cgroup .../praetor/<id>/<leaf> are reported: praetor's own reads of the
 * files (and the host's) are not. T is the time the event was read, epoch ms (the kernel does not
 * stamp fanotify events). pid is as the host sees it. A mark ends with its inode (a deleted file).
 *
 * It exits when stdin or stdout closes and when its parent dies (PR_SET_PDEATHSIG). Exit status
 * 125: fanotify could not be set up (it needs CAP_SYS_ADMIN).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HELPER_FAILURE 125
#define MAX_CMDLINE (64 << 10)

static void die(const char *what) {
  fprintf(stderr, "praetor-fanotify: %s: %s\n", what, strerror(errno));
  _exit(HELPER_FAILURE);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* JSON string: control characters, quotes and backslashes escaped; bytes >= 0x80 that are not
 * valid UTF-8 are written as \u00XX of the byte so the line stays valid JSON. */
static void json_string(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f) printf("\\u%04x", c);
    else if (c < 0x80) putchar(c);
    else {
      size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
      int ok = len > 0 && i + len <= n;
      for (size_t k = 1; ok && k < len; k++) ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
      if (!ok || c > 0xF4) {
        printf("\\u%04x", c);
        continue;
      }
      fwrite(s + i, 1, len, stdout);
      i += len - 1;
    }
  }
  putchar('"');
}

static ssize_t read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < cap) {
    ssize_t r = read(fd, buf + got, cap - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  return (ssize_t)got;
}

/* The "praetor/<id>/<leaf>" of the first hierarchy line that places the process under praetor. */
static int praetor_cgroup(const char *data, size_t n, const char **cg, size_t *len) {
  const char *p = data, *end = data + n;
  while (p < end) {
    const char *le = memchr(p, '\n', (size_t)(end - p));
    if (le == NULL) le = end;
    const char *m = memmem(p, (size_t)(le - p), "/praetor/", 9);
    if (m != NULL) {
      *cg = m + 1;
      *len = (size_t)(le - (m + 1));
      return 1;
    }
    p = le + 1;
  }
  return 0;
}

static char cmdline[MAX_CMDLINE];

static void report(const struct fanotify_event_metadata *ev) {
  char path[64], cgroups[4096], target[PATH_MAX];
  const char *how = (ev->mask & FAN_ACCESS) ? "access" : "close";
  snprintf(path, sizeof(path), "/proc/%d/cgroup", ev->pid);
  ssize_t n = read_file(path, cgroups, sizeof(cgroups));
  const char *cg = NULL;
  size_t cg_len = 0;
  /* a reader outside praetor's cgroups is the host's (praetor itself among them): not reported; one
   * already reaped can not be placed here, and is reported with "cg":null for praetor to place */
  if (n > 0 && !praetor_cgroup(cgroups, (size_t)n, &cg, &cg_len)) return;
  struct stat st;
  if (fstat(ev->fd, &st) != 0) return;
  printf("{\"e\":\"read\",\"t\":%.3f,\"pid\":%d,\"how\":\"%s\",\"dev\":%llu,\"ino\":%llu,\"path\":", now_ms(), ev->pid, how,
         (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
  snprintf(path, sizeof(path), "/proc/self/fd/%d", ev->fd);
  ssize_t tl = readlink(path, target, sizeof(target));
  if (tl > 0) json_string(target, (size_t)tl);
  else fputs("null", stdout);
  fputs(",\"cg\":", stdout);
  if (cg != NULL) json_string(cg, cg_len);
  else fputs("null", stdout);
  fputs(",\"exe\":", stdout);
  snprintf(path, sizeof(path), "/proc/%d/exe", ev->pid);
  tl = readlink(path, target, sizeof(target));
  if (tl > 0) json_string(target, (size_t)tl);
  else fputs("null", stdout);
  fputs(",\"argv\":", stdout);
  snprintf(path, sizeof(path), "/proc/%d/cmdline", ev->pid);
  ssize_t cl = read_file(path, cmdline, sizeof(cmdline));
  if (cl <= 0) fputs("null", stdout);
  else {
    putchar('[');
    size_t i = 0;
    int first = 1;
    while (i < (size_t)cl) {
      size_t len = strnlen(cmdline + i, (size_t)cl - i);
      if (!first) putchar(',');
      first = 0;
      json_string(cmdline + i, len);
      i += len + 1;
    }
    putchar(']');
  }
  fputs("}\n", stdout);
}

/* Prints every queued event; returns when the queue is empty. */
static void drain(int fan) {
  static char buf[64 * 1024] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
  for (;;) {
    ssize_t len = read(fan, buf, sizeof(buf));
    if (len < 0 && errno == EINTR) continue;
    if (len < 0 && errno == EAGAIN) return;
    if (len <= 0) die("read fanotify");
    struct fanotify_event_metadata *ev = (struct fanotify_event_metadata *)buf;
    for (; FAN_EVENT_OK(ev, len); ev = FAN_EVENT_NEXT(ev, len)) {
      if (ev->vers != FANOTIFY_METADATA_VERSION) {
        errno = EPROTO;
        die("fanotify metadata version");
      }
      if (ev->mask & FAN_Q_OVERFLOW) printf("{\"e\":\"overrun\",\"t\":%.3f}\n", now_ms());
      else if (ev->fd >= 0) report(ev);
      if (ev->fd >= 0) close(ev->fd);
    }
  }
}

static void command(int fan, char *line) {
  char kind[8];
  long long tag;
  int off = 0;
  if (sscanf(line, "sync %lld", &tag) == 1) {
    drain(fan);
    printf("{\"e\":\"sync\",\"n\":%lld}\n", tag);
    return;
  }
  if (sscanf(line, "mark %lld %7s %n", &tag, kind, &off) != 2 || off == 0) {
    fprintf(stderr, "praetor-fanotify: bad command: %.200s\n", line);
    return;
  }
  const char *path = line + off;
  int dir = strcmp(kind, "dir") == 0;
  uint64_t mask = dir ? (FAN_CLOSE_NOWRITE | FAN_EVENT_ON_CHILD) : (FAN_ACCESS | FAN_CLOSE_NOWRITE);
  unsigned flags = FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW | (dir ? FAN_MARK_ONLYDIR : 0);
  struct stat st;
  if (fanotify_mark(fan, flags, mask, AT_FDCWD, path) != 0 || lstat(path, &st) != 0) {
    printf("{\"e\":\"marked\",\"tag\":%lld,\"ok\":false,\"err\":", tag);
    const char *err = strerror(errno);
    json_string(err, strlen(err));
    fputs("}\n", stdout);
    return;
  }
  printf("{\"e\":\"marked\",\"tag\":%lld,\"ok\":true,\"dev\":%llu,\"ino\":%llu}\n", tag, (unsigned long long)st.st_dev,
         (unsigned long long)st.st_ino);
}

/* Real-time priority where allowed (root), as praetor-procmon does: a reader that lives a few
 * milliseconds is read in /proc before it is gone, even on a loaded host. */
static void raise_priority(void) {
  struct sched_param sp;
  memset(&sp, 0, sizeof(sp));
  sp.sched_priority = 1;
  if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0) (void)setpriority(PRIO_PROCESS, 0, -20);
}

int main(void) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("PR_SET_PDEATHSIG");
  raise_priority();
  signal(SIGPIPE, SIG_DFL);
  int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
  if (fan < 0) die("fanotify_init");
  printf("{\"e\":\"ready\",\"t\":%.3f}\n", now_ms());
  fflush(stdout);
  static char in[PATH_MAX + 64];
  size_t have = 0;
  struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = fan, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[1].revents & POLLIN) drain(fan);
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(0, in + have, sizeof(in) - 1 - have);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break; /* stdin closed: praetor is gone or done */
      have += (size_t)r;
      char *start = in, *nl;
      while ((nl = memchr(start, '\n', have - (size_t)(start - in))) != NULL) {
        *nl = '\0';
        command(fan, start);
        start = nl + 1;
      }
      have -= (size_t)(start - in);
      memmove(in, start, have);
      if (have == sizeof(in) - 1) have = 0; /* a line longer than any path: dropped */
    }
    if (fflush(stdout) != 0) break;
  }
  return 0;
}
