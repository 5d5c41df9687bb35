/*
 * praetor-procmon: reports every exec inside praetor's sandboxes, short-lived processes included.
 *
 * Why hand-written C: the kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC)
 * is a netlink protocol that no Node library speaks, and a process that lives a millisecond
 * is only seen if its /proc entries are read within microseconds of the event, by the
 * process that received it, before a pipe and an event loop add their delay. So this helper
 * receives the event and reads /proc at once; praetor only parses the lines it prints.
 *
 * It subscribes to exec and exit events (filtered in the kernel where it supports it, 6.6+),
 * and for each exec reads /proc/<pid>/cgroup first: processes outside a cgroup
 * .../praetor/<id>/<leaf> are the host's and are skipped. For ours it reads argv, the exe
 * and cwd links, ppid and uid, and prints one JSON object per line on stdout:
 *   {"e":"ready","t":T,"sched":S}            subscribed; every later exec is seen. S is the
 *                                            scheduling it got: fifo, nice or normal (see
 *                                            raise_priority)
 *   {"e":"exec","pid":P,"ppid":P|null,"uid":U|null,"t":T,"cg":"praetor/<id>/<leaf>",
 *    "exe":S|null,"cwd":S|null,"fds":[S|null x3],"argv":[S...]|null}
 *   (fds: fd 0-2 as /proc/PID/fd links, a TCP or UDP socket written tcp:[INODE] or udp:[INODE])
 *   {"e":"exit","pid":P,"t":T,"code":C|null,"sig":N|null}   only for pids it reported
 *   {"e":"overrun","t":T}                    the kernel dropped events (socket buffer full)
 *   {"e":"sync","n":N}                       answer to "sync N" on stdin: every event that
 *                                            happened before the request was printed above
 * T is the event's time in epoch milliseconds (CLOCK_REALTIME, microsecond fraction).
 * pid, ppid and uid are as the host sees them. Exits whose status was lost in an overrun
 * are printed with code and sig null.
 *
 * Limits: a process that exits before /proc is read (microseconds) is printed with null
 * argv/exe/cwd if its cgroup could still be read, and not at all if it was already reaped.
 * A process that execs twice within microseconds may show the second program in both
 * events. argv is cut at MAX_CMDLINE bytes.
 *
 * It exits when stdout or stdin closes and when its parent dies (PR_SET_PDEATHSIG; the
 * parent is the thread that spawned it). Exit status 125 means it could not subscribe; 69
 * (EX_UNAVAILABLE) that it runs outside the host's first network namespace, where the kernel
 * has no process events connector to answer (see --netns below).
 *
 * The connector is a kernel socket of the host's first network namespace only, while the events
 * it reports are host-wide (PIDs of the first PID namespace). A praetor daemon in a network
 * namespace of its own (one node of a fleet per namespace; a pod without hostNetwork but with
 * hostPID) still watches its sandboxes when told where the first namespace is (--netns PATH, a
 * file like /proc/PID/ns/net of a process there): the helper joins it (setns, CAP_SYS_ADMIN)
 * before it opens the socket. It reads nothing else through the network namespace:
 * /proc/PID/net is each process's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HELPER_FAILURE 125
#define NOT_FIRST_NETNS 69
#define MAX_CMDLINE (1 << 20)
#define PID_LIMIT (1 << 22) /* PID_MAX_LIMIT on 64-bit kernels */
#define RCVBUF_BYTES (16 << 20)
#define SUBSCRIBE_TIMEOUT_MS 5000

/* struct proc_input and PROC_EVENT_NONZERO_EXIT arrived in kernel 6.6 headers; the layout
 * is two 32-bit enums, spelled out here so older headers build too. */
struct procmon_input {
  uint32_t mcast_op;
  uint32_t event_type;
};

static void die(const char *what) {
  fprintf(stderr, "praetor-procmon: %s: %s\n", what, strerror(errno));
  _exit(HELPER_FAILURE);
}

/* ---- output: lines built in one growing buffer, written in batches ---- */

struct out {
  char *buf;
  size_t len, cap;
};

static struct out line;

static void out_reserve(size_t more) {
  if (line.len + more <= line.cap) return;
  size_t cap = line.cap ? line.cap : 4096;
  while (cap < line.len + more) cap *= 2;
  char *b = realloc(line.buf, cap);
  if (b == NULL) die("realloc");
  line.buf = b;
  line.cap = cap;
}

static void out_bytes(const char *s, size_t n) {
  out_reserve(n);
  memcpy(line.buf + line.len, s, n);
  line.len += n;
}

static void out_str(const char *s) { out_bytes(s, strlen(s)); }

static void out_int(long long v) {
  char tmp[24];
  int n = snprintf(tmp, sizeof(tmp), "%lld", v);
  out_bytes(tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, surrogates or > U+10FFFF),
 * or 0 when the byte at s does not start one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else return 0;
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

/* A JSON string of arbitrary bytes: valid UTF-8 kept, every other byte as \u00XX. */
static void out_json_string(const char *str, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  out_reserve(n * 6 + 2);
  char *p = line.buf + line.len;
  *p++ = '"';
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : utf8_len(s + i, n - i);
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = (char)c;
    } else if (len == 0 || c < 0x20 || c == 0x7F) {
      memcpy(p, "\\u00", 4);
      p[4] = hex[c >> 4];
      p[5] = hex[c & 15];
      p += 6;
      len = 1;
    } else {
      memcpy(p, s + i, len);
      p += len;
    }
    i += len == 0 ? 1 : len;
  }
  *p++ = '"';
  line.len = (size_t)(p - line.buf);
}

/* Lines are written in batches, once the socket has no more events queued (or the batch is
 * large), so a burst costs one write, not one per line. A dead reader means praetor is gone:
 * leave quietly (SIGPIPE would do it too). */
static void out_write(void) {
  size_t off = 0;
  while (off < line.len) {
    ssize_t w = write(STDOUT_FILENO, line.buf + off, line.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) _exit(0);
    off += (size_t)w;
  }
  line.len = 0;
}

static void out_end_line(void) {
  out_bytes("\n", 1);
  if (line.len >= 64 * 1024) out_write();
}

/* ---- time: the kernel stamps events with CLOCK_MONOTONIC; praetor wants epoch ---- */

static long long clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void out_time(long long mono_ns) {
  long long now_mono = clock_ns(CLOCK_MONOTONIC);
  long long real = clock_ns(CLOCK_REALTIME);
  if (mono_ns > 0 && mono_ns <= now_mono) real -= now_mono - mono_ns;
  char tmp[48];
  long long us = real / 1000;
  int n = snprintf(tmp, sizeof(tmp), "\"t\":%lld.%03lld", us / 1000, us % 1000);
  out_bytes(tmp, (size_t)n);
}

/* ---- /proc ---- */

/* /proc files answer one read with all they have (up to the size asked), so one read is
 * enough: no second one to see end of file. */
static ssize_t read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t r;
  do r = read(fd, buf, cap);
  while (r < 0 && errno == EINTR);
  close(fd);
  return r;
}

/*
 * The "praetor/<id>/<leaf>" part of the first hierarchy that places pid in a sandbox's leaf, or
 * failing that the "praetor/<id>" of the first that places it in a sandbox (v1 hierarchies with
 * sandbox-wide control hold processes in the sandbox's cgroup itself).
 */
static int praetor_cgroup(const char *data, size_t n, const char **cg, size_t *cg_len) {
  const char *end = data + n;
  int found = 0;
  for (const char *l = data; l < end;) {
    const char *nl = memchr(l, '\n', (size_t)(end - l));
    const char *le = nl ? nl : end;
    const char *colon = memchr(l, ':', (size_t)(le - l));
    if (colon) colon = memchr(colon + 1, ':', (size_t)(le - colon - 1));
    if (colon) {
      const char *path = colon + 1;
      const char *m = memmem(path, (size_t)(le - path), "/praetor/", 9);
      if (m) {
        const char *rest = m + 9;
        int in_leaf = memchr(rest, '/', (size_t)(le - rest)) != NULL;
        if (in_leaf || !found) {
          *cg = m + 1;
          *cg_len = (size_t)(le - m - 1);
          found = 1;
        }
        if (in_leaf) return 1;
      }
    }
    l = le + 1;
  }
  return found;
}

static long status_field(const char *status, const char *name) {
  const char *p = strstr(status, name);
  if (p == NULL) return -1;
  p += strlen(name);
  while (*p == ' ' || *p == '\t') p++;
  if (*p < '0' || *p > '9') return -1;
  return strtol(p, NULL, 10);
}

static void out_link(const char *key, const char *path) {
  char target[4096];
  ssize_t n = readlink(path, target, sizeof(target));
  out_str(key);
  if (n < 0) out_str("null");
  else out_json_string(target, (size_t)n);
}

/* Whether socket inode `inode` is TCP or UDP in the process's network namespace: read right at
 * exec, because a reverse shell whose peer hangs up is gone a millisecond later. */
static const char *socket_proto(int pid, unsigned long inode) {
  static const char *const files[] = {"tcp", "tcp6", "udp", "udp6"};
  static char table[64 * 1024];
  char path[64];
  for (size_t f = 0; f < 4; f++) {
    snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, files[f]);
    ssize_t n = read_file(path, table, sizeof(table) - 1);
    if (n <= 0) continue;
    table[n] = '\0';
    for (char *line = strchr(table, '\n'); line != NULL && line[1] != '\0'; line = strchr(line + 1, '\n')) {
      /* the inode is the tenth column */
      char *p = line + 1;
      for (int col = 0; col < 9 && p != NULL; col++) {
        while (*p == ' ') p++;
        while (*p != ' ' && *p != '\0' && *p != '\n') p++;
      }
      if (p == NULL) break;
      while (*p == ' ') p++;
      if (strtoul(p, NULL, 10) == inode) return f < 2 ? "tcp" : "udp";
    }
  }
  return NULL;
}

/* fd 0, 1 and 2 as links; a network socket as tcp:[N] or udp:[N] (other sockets stay socket:[N]). */
static void out_stdio(int pid) {
  char path[64], target[256];
  out_str(",\"fds\":[");
  for (int fd = 0; fd < 3; fd++) {
    if (fd > 0) out_str(",");
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) {
      out_str("null");
      continue;
    }
    target[n] = '\0';
    unsigned long inode;
    const char *proto = sscanf(target, "socket:[%lu]", &inode) == 1 ? socket_proto(pid, inode) : NULL;
    if (proto != NULL) {
      char tagged[64];
      int m = snprintf(tagged, sizeof(tagged), "%s:[%lu]", proto, inode);
      out_json_string(tagged, (size_t)m);
    } else out_json_string(target, (size_t)n);
  }
  out_str("]");
}

static void out_nullable(const char *key, long v) {
  out_str(key);
  if (v < 0) out_str("null");
  else out_int(v);
}

/* ---- the set of pids reported, so their exits are reported too: one bit per pid ---- */

static uint64_t *tracked;

static int is_tracked(int pid) { return pid > 0 && pid < PID_LIMIT && (tracked[pid >> 6] >> (pid & 63)) & 1; }
static void track(int pid) {
  if (pid > 0 && pid < PID_LIMIT) tracked[pid >> 6] |= 1ULL << (pid & 63);
}
static void untrack(int pid) {
  if (pid > 0 && pid < PID_LIMIT) tracked[pid >> 6] &= ~(1ULL << (pid & 63));
}

/* ---- events ---- */

static char *cmdline;

static void on_exec(int pid, long long ts) {
  char path[64], cgroups[4096], status[2048];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
  ssize_t n = read_file(path, cgroups, sizeof(cgroups));
  const char *cg;
  size_t cg_len;
  if (n <= 0 || !praetor_cgroup(cgroups, (size_t)n, &cg, &cg_len)) return;
  /* argv and the links vanish first when a process exits (with its memory and fs), so they
   * are read before status, which lasts until the parent reaps it. */
  snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
  ssize_t argc_bytes = read_file(path, cmdline, MAX_CMDLINE);
  out_str("{\"e\":\"exec\",\"pid\":");
  out_int(pid);
  out_str(",");
  out_time(ts);
  out_str(",\"cg\":");
  out_json_string(cg, cg_len);
  snprintf(path, sizeof(path), "/proc/%d/exe", pid);
  out_link(",\"exe\":", path);
  snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
  out_link(",\"cwd\":", path);
  out_stdio(pid);
  out_str(",\"argv\":");
  if (argc_bytes <= 0) out_str("null"); /* empty: the process has no memory left */
  else {
    out_str("[");
    size_t len = (size_t)argc_bytes;
    for (size_t i = 0; i < len;) {
      const char *nul = memchr(cmdline + i, '\0', len - i);
      size_t arg_len = nul ? (size_t)(nul - (cmdline + i)) : len - i;
      if (i > 0) out_str(",");
      out_json_string(cmdline + i, arg_len);
      i += arg_len + 1;
    }
    out_str("]");
  }
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  n = read_file(path, status, sizeof(status) - 1);
  status[n > 0 ? n : 0] = '\0';
  out_nullable(",\"ppid\":", n > 0 ? status_field(status, "\nPPid:") : -1);
  out_nullable(",\"uid\":", n > 0 ? status_field(status, "\nUid:") : -1);
  out_str("}");
  out_end_line();
  track(pid);
}

static void out_exit(int pid, long long ts) {
  out_str("{\"e\":\"exit\",\"pid\":");
  out_int(pid);
  out_str(",");
  out_time(ts);
}

static void on_exit_event(int pid, uint32_t wait_status, long long ts) {
  if (!is_tracked(pid)) return;
  untrack(pid);
  out_exit(pid, ts);
  /* exit_code holds a wait status: exit code in bits 8-15, or the killing signal in 0-6 */
  if ((wait_status & 0x7F) == 0) {
    out_str(",\"code\":");
    out_int((wait_status >> 8) & 0xFF);
    out_str(",\"sig\":null}");
  } else {
    out_str(",\"code\":null,\"sig\":");
    out_int(wait_status & 0x7F);
    out_str("}");
  }
  out_end_line();
}

/* Gone means reaped, or a zombie: its exit has happened, and its event may be the lost one. */
static int exited(int pid) {
  char path[64], stat[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  ssize_t n = read_file(path, stat, sizeof(stat) - 1);
  if (n <= 0) return 1;
  stat[n] = '\0';
  const char *paren = strrchr(stat, ')'); /* the name before it may hold anything */
  return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

/* After an overrun some exits may be lost: forget the pids that are gone, reporting them. */
static void on_overrun(void) {
  out_str("{\"e\":\"overrun\",");
  out_time(0);
  out_str("}");
  out_end_line();
  for (int w = 0; w < PID_LIMIT / 64; w++) {
    if (tracked[w] == 0) continue;
    for (int b = 0; b < 64; b++) {
      int pid = w * 64 + b;
      if (!is_tracked(pid) || !exited(pid)) continue;
      untrack(pid);
      out_exit(pid, 0);
      out_str(",\"code\":null,\"sig\":null}");
      out_end_line();
    }
  }
}

/* ---- scheduling ---- */

/* A process that lives half a millisecond is gone before we read it unless we run the moment
 * its event arrives: with normal priority 1-10% of a loop of /bin/true lost their argv (some
 * were missed entirely), at nice -20 about 1%, with SCHED_FIFO none. The lowest real-time
 * priority runs before every normal task and below any real-time work of the host; the work
 * per event is bounded and an exec costs its maker far more than it costs us, so a sandbox
 * can not turn this into a CPU hog (and the kernel's RT throttling caps it regardless). */
static const char *raise_priority(void) {
  struct sched_param sp;
  memset(&sp, 0, sizeof(sp));
  sp.sched_priority = 1;
  if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0) return "fifo";
  if (setpriority(PRIO_PROCESS, 0, -20) == 0) return "nice";
  return "normal";
}

/* ---- netlink ---- */

/* Joins the host's first network namespace named by --netns (see the top) when it is another
 * than ours; failing to is fatal. Without --netns the connector is tried where we are, and exit
 * 69 says when it is not there. */
static void join_first_netns(const char *path) {
  if (path == NULL) return;
  struct stat own, first;
  if (stat("/proc/self/ns/net", &own) != 0) die("stat(/proc/self/ns/net)");
  if (stat(path, &first) != 0) die(path);
  if (own.st_dev == first.st_dev && own.st_ino == first.st_ino) return;
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) die(path);
  if (setns(ns, CLONE_NEWNET) != 0) die("setns(--netns)");
  close(ns);
}

static int open_connector(int size) {
  int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (fd < 0) die("socket(NETLINK_CONNECTOR)");
  /* A large buffer absorbs bursts (fork bombs, builds) while we read /proc. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  struct sockaddr_nl addr;
  memset(&addr, 0, sizeof(addr));
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = CN_IDX_PROC;
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) die("bind(CN_IDX_PROC)");
  return fd;
}

static void send_control(int fd, const void *payload, uint16_t len, uint32_t ack) {
  char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(struct procmon_input))];
  memset(buf, 0, sizeof(buf));
  struct nlmsghdr *nh = (struct nlmsghdr *)buf;
  nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + len);
  nh->nlmsg_type = NLMSG_DONE;
  nh->nlmsg_pid = 0;
  struct cn_msg msg;
  memset(&msg, 0, sizeof(msg));
  msg.id.idx = CN_IDX_PROC;
  msg.id.val = CN_VAL_PROC;
  msg.ack = ack;
  msg.len = len;
  memcpy(NLMSG_DATA(nh), &msg, sizeof(msg));
  memcpy((char *)NLMSG_DATA(nh) + sizeof(msg), payload, len);
  if (send(fd, buf, nh->nlmsg_len, 0) < 0) {
    /* The connector is a kernel socket of the first network namespace only: elsewhere (a
     * container, `ip netns exec`) nobody is there to receive, and no retry will change that. */
    if (errno == ECONNREFUSED) _exit(NOT_FIRST_NETNS);
    die("send(PROC_CN_MCAST_LISTEN)");
  }
}

static char rx[64 * 1024] __attribute__((aligned(8)));

/* One datagram; returns 0 when there was none (non-blocking), -1 on an overrun. The payload
 * is copied out because the proc_event inside a netlink message is not 8-byte aligned. */
static int receive(int fd, int flags, struct cn_msg *msg, struct proc_event *ev) {
  struct sockaddr_nl from;
  for (;;) {
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd, rx, sizeof(rx), flags, (struct sockaddr *)&from, &from_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (n < 0 && errno == ENOBUFS) return -1;
    if (n < 0) die("recv");
    if (from.nl_pid != 0) continue; /* only the kernel speaks on this group */
    struct nlmsghdr *nh = (struct nlmsghdr *)rx;
    if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type == NLMSG_ERROR) continue;
    if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg))) continue;
    memcpy(msg, NLMSG_DATA(nh), sizeof(*msg));
    if (msg->id.idx != CN_IDX_PROC || msg->id.val != CN_VAL_PROC) continue;
    size_t avail = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*msg));
    memset(ev, 0, sizeof(*ev));
    memcpy(ev, (char *)NLMSG_DATA(nh) + sizeof(*msg), avail < sizeof(*ev) ? avail : sizeof(*ev));
    return 1;
  }
}

/* Listen to everything and wait for the kernel's ack (so "ready" is true), then narrow the
 * subscription to exec and exit; kernels before 6.6 ignore the narrowing (its length differs
 * from what they accept) and we skip the other events ourselves. The narrowed ack is itself
 * filtered out by the kernel, which is why the first, unfiltered, subscription is the one
 * confirmed. */
static void subscribe(int fd) {
  uint32_t ack = (uint32_t)getpid();
  uint32_t op = PROC_CN_MCAST_LISTEN;
  send_control(fd, &op, sizeof(op), ack);
  long long deadline = clock_ns(CLOCK_MONOTONIC) + SUBSCRIBE_TIMEOUT_MS * 1000000LL;
  for (;;) {
    long long left = (deadline - clock_ns(CLOCK_MONOTONIC)) / 1000000;
    struct pollfd p = {fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, (int)left) == 0) {
      errno = ETIMEDOUT;
      die("no answer from the process events connector");
    }
    struct cn_msg msg;
    struct proc_event ev;
    int r = receive(fd, MSG_DONTWAIT, &msg, &ev);
    if (r <= 0 || ev.what != PROC_EVENT_NONE || msg.ack != ack + 1) continue;
    if (ev.event_data.ack.err != 0) {
      errno = (int)ev.event_data.ack.err;
      die("PROC_CN_MCAST_LISTEN");
    }
    break;
  }
  struct procmon_input in = {PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC | PROC_EVENT_EXIT};
  send_control(fd, &in, sizeof(in), ack + 1);
}

/* Handles every event queued so far; returns when the socket is empty. */
static void drain(int fd) {
  struct cn_msg msg;
  struct proc_event ev;
  for (;;) {
    int r = receive(fd, MSG_DONTWAIT, &msg, &ev);
    if (r == 0) {
      out_write();
      return;
    }
    if (r < 0) {
      on_overrun();
      continue;
    }
    /* A process ends when its thread-group leader does; every thread reports its own exit. */
    if (ev.what == PROC_EVENT_EXEC) on_exec(ev.event_data.exec.process_tgid, (long long)ev.timestamp_ns);
    else if (ev.what == PROC_EVENT_EXIT && ev.event_data.exit.process_pid == ev.event_data.exit.process_tgid)
      on_exit_event(ev.event_data.exit.process_tgid, ev.event_data.exit.exit_code, (long long)ev.timestamp_ns);
  }
}

/* stdin carries "sync N" requests; its end means praetor is gone. */
static void on_commands(int fd) {
  static char buf[256];
  static size_t len;
  ssize_t r = read(STDIN_FILENO, buf + len, sizeof(buf) - len);
  if (r < 0 && errno == EINTR) return;
  if (r <= 0) _exit(0);
  len += (size_t)r;
  char *nl;
  while ((nl = memchr(buf, '\n', len)) != NULL) {
    *nl = '\0';
    char *end = NULL;
    if (strncmp(buf, "sync ", 5) == 0) {
      long long n = strtoll(buf + 5, &end, 10);
      if (end != buf + 5 && *end == '\0') {
        drain(fd);
        out_str("{\"e\":\"sync\",\"n\":");
        out_int(n);
        out_str("}");
        out_end_line();
        out_write();
      }
    }
    size_t used = (size_t)(nl - buf) + 1;
    memmove(buf, nl + 1, len - used);
    len -= used;
  }
  if (len == sizeof(buf)) len = 0; /* an overlong line is not a command */
}

int main(int argc, char **argv) {
  int rcvbuf = RCVBUF_BYTES;
  const char *netns = NULL;
  /* --rcvbuf BYTES: a small buffer lets tests provoke overruns; --netns PATH: the host's first
   * network namespace, where the connector is (a file like /proc/PID/ns/net or /run/netns/NAME) */
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 < argc && strcmp(argv[i], "--rcvbuf") == 0) rcvbuf = atoi(argv[i + 1]);
    else if (i + 1 < argc && strcmp(argv[i], "--netns") == 0) netns = argv[i + 1];
    else {
      fprintf(stderr, "praetor-procmon: usage: praetor-procmon [--rcvbuf BYTES] [--netns PATH]\n");
      return HELPER_FAILURE;
    }
  }
  if (rcvbuf <= 0) rcvbuf = RCVBUF_BYTES;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("PR_SET_PDEATHSIG");
  if (getppid() == 1) return 0; /* the parent died before the line above */
  signal(SIGPIPE, SIG_DFL);
  /* Room for bursts while praetor is busy: a pipe, or the socket pair Node makes for stdio. */
  int out_size = 1 << 20;
  if (fcntl(STDOUT_FILENO, F_SETPIPE_SZ, out_size) < 0)
    setsockopt(STDOUT_FILENO, SOL_SOCKET, SO_SNDBUFFORCE, &out_size, sizeof(out_size));
  tracked = calloc(PID_LIMIT / 64, sizeof(uint64_t));
  cmdline = malloc(MAX_CMDLINE);
  if (tracked == NULL || cmdline == NULL) die("malloc");

  const char *sched = raise_priority();
  join_first_netns(netns);
  int fd = open_connector(rcvbuf);
  subscribe(fd);
  out_str("{\"e\":\"ready\",");
  out_time(0);
  out_str(",\"sched\":\"");
  out_str(sched);
  out_str("\"}");
  out_end_line();
  out_write();
  for (;;) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[0].revents) drain(fd);
    if (p[1].revents) on_commands(fd);
  }
}
