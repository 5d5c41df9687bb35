/*
 * praetor-disk.h: a sandbox's disk, a sparse ext4 image of its own, loop-mounted over the
 * sandbox's data directory so /workspace and /tmp fill up at the size the sandbox was given
 * (ENOSPC inside) instead of filling the host's filesystem.
 *
 * Why these steps are C, in praetor-spawn: node has no mount(2) or loop ioctls, and no library
 * does them. Measured on the 2-core dev host, unloaded: `cp --sparse` of the template 3-6 ms and
 * `mount -o loop` 41 ms as tools, against LOOP_CONFIGURE 1-2 ms and mount(2) about 1 ms as calls
 * (both wait on the kernel's RCU, so they grow under load). The image is a copy of a template
 * formatted once per size (mkfs.ext4 of a 1 GiB image takes 90-150 ms, too much for every
 * create): a reflink where the filesystem has them, else a copy of the template's few data
 * extents (about 0.15 MiB for 64 MiB, 0.6 MiB for 1 GiB), holes left holes.
 */
#ifndef PRAETOR_DISK_H
#define PRAETOR_DISK_H

#include "praetor-enter.h"
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#define DISK_LOOP_ATTEMPTS 32

static void disk_die(const char *what, const char *detail) {
  fprintf(stderr, "praetor-spawn: disk: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "", strerror(errno));
  _exit(ENTER_FAILURE);
}

static void copy_range(int src, int dst, off_t from, off_t to) {
  off_t in = from, out = from;
  while (in < to) {
    ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(to - in), 0);
    if (n > 0) continue;
    if (n == 0) break;
    if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL) disk_die("copy_file_range", NULL);
    char buf[65536];
    while (in < to) {
      size_t want = (size_t)(to - in) < sizeof(buf) ? (size_t)(to - in) : sizeof(buf);
      ssize_t got = pread(src, buf, want, in);
      if (got <= 0) disk_die("read template", NULL);
      if (pwrite(dst, buf, (size_t)got, in) != got) disk_die("write image", NULL);
      in += got;
    }
  }
}

/* The template's bytes into dst, its holes left holes (dst is then as sparse as the template). */
static void clone_sparse(int src, int dst) {
  if (ioctl(dst, FICLONE, src) == 0) return;
  struct stat st;
  if (fstat(src, &st) != 0) disk_die("fstat template", NULL);
  if (ftruncate(dst, st.st_size) != 0) disk_die("ftruncate image", NULL);
  off_t data = 0;
  while (data < st.st_size) {
    data = lseek(src, data, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) return; /* only holes from here on */
      disk_die("lseek(SEEK_DATA) template", NULL);
    }
    off_t hole = lseek(src, data, SEEK_HOLE);
    if (hole < 0) disk_die("lseek(SEEK_HOLE) template", NULL);
    copy_range(src, dst, data, hole);
    data = hole;
  }
}

/*
 * Where /dev is not devtmpfs (a container's), a loop device made after it started has no node:
 * make one from the numbers sysfs gives (loop minors depend on max_part), then open it.
 */
static int open_without_devtmpfs(const char *dev, int n) {
  char path[96], numbers[32];
  snprintf(path, sizeof(path), "/sys/devices/virtual/block/loop%d/dev", n);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t len = read(fd, numbers, sizeof(numbers) - 1);
  close(fd);
  unsigned int major, minor;
  if (len <= 0) return -1;
  numbers[len] = '\0';
  if (sscanf(numbers, "%u:%u", &major, &minor) != 2) return -1;
  if (mknod(dev, S_IFBLK | 0600, makedev(major, minor)) != 0 && errno != EEXIST) return -1;
  return open(dev, O_RDWR | O_CLOEXEC);
}

/* Binds image_fd to a free loop device that detaches itself once unmounted; returns its fd. */
static int attach_loop(int image_fd, const char *name, char *dev, size_t cap) {
  int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0) disk_die("open", "/dev/loop-control (loop devices are needed for sandbox disks)");
  for (int attempt = 0; attempt < DISK_LOOP_ATTEMPTS; attempt++) {
    int n = ioctl(ctl, LOOP_CTL_GET_FREE);
    if (n < 0) disk_die("LOOP_CTL_GET_FREE", NULL);
    snprintf(dev, cap, "/dev/loop%d", n);
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) fd = open_without_devtmpfs(dev, n);
    if (fd < 0) disk_die("open", dev);
    struct loop_config config;
    memset(&config, 0, sizeof(config));
    config.fd = (unsigned int)image_fd;
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    snprintf((char *)config.info.lo_file_name, LO_NAME_SIZE, "%s", name);
    if (ioctl(fd, LOOP_CONFIGURE, &config) == 0) {
      close(ctl);
      return fd;
    }
    if (errno == EINVAL || errno == ENOTTY) {
      /* Before Linux 5.8: the same in two steps. */
      if (ioctl(fd, LOOP_SET_FD, image_fd) == 0) {
        if (ioctl(fd, LOOP_SET_STATUS64, &config.info) != 0) {
          int saved = errno;
          ioctl(fd, LOOP_CLR_FD, 0);
          errno = saved;
          disk_die("LOOP_SET_STATUS64", dev);
        }
        close(ctl);
        return fd;
      }
    }
    /* EBUSY: another process took this device between GET_FREE and here; ask again. */
    if (errno != EBUSY) disk_die("attach", dev);
    close(fd);
  }
  errno = EBUSY;
  disk_die("no free loop device after retries", NULL);
  return -1;
}

static void make_owned_dir(const char *root, const char *name, long uid, long gid) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", root, name);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) disk_die("mkdir", path);
  if (chown(path, (uid_t)uid, (gid_t)gid) != 0) disk_die("chown", path);
}

/*
 * Copies `template` into a new image, attaches it to a loop device and mounts it at `dir`
 * (nosuid, nodev), whose root becomes 0700 owned by uid:gid with workspace, tmp and tmp/home
 * inside, owned the same way. The image is an O_TMPFILE in `dir`: it never has a name, so
 * nothing is left to delete (or to leak) and the host frees its blocks when the loop device lets
 * go of it, in the kernel's own time rather than on destroy's path (freeing a sparse GiB on a
 * busy ext4 host took 5-70 ms).
 */
static int attach_disk(const char *template, const char *dir, long uid, long gid) {
  if (uid < 0 || gid < 0) enter_die_msg("disk needs --uid and --gid");
  int src = open(template, O_RDONLY | O_CLOEXEC);
  if (src < 0) disk_die("open template", template);
  int dst = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (dst < 0) disk_die("create an unnamed image in", dir);
  clone_sparse(src, dst);
  close(src);
  char dev[64], name[LO_NAME_SIZE];
  snprintf(name, sizeof(name), "praetor-disk:%s", dir);
  int loop = attach_loop(dst, name, dev, sizeof(dev));
  close(dst);
  /* noinit_itable: the template's inode tables are holes, zeros already; the kernel's background
   * zeroing would only turn them into real blocks of the host's disk. nobarrier: the disk dies
   * with its sandbox, so an fsync inside (git, npm, sqlite do many) need not become a flush of
   * the host's disk. */
  if (mount(dev, dir, "ext4", MS_NOSUID | MS_NODEV, "noinit_itable,nobarrier") != 0) disk_die("mount", dev);
  close(loop); /* the mount holds the device now; it detaches itself at unmount (autoclear) */
  if (chown(dir, (uid_t)uid, (gid_t)gid) != 0 || chmod(dir, 0700) != 0) disk_die("chown/chmod", dir);
  make_owned_dir(dir, "workspace", uid, gid);
  make_owned_dir(dir, "tmp", uid, gid);
  make_owned_dir(dir, "tmp/home", uid, gid);
  return 0;
}

/* Detaches whatever is mounted at dir (lazily: the sandbox's last namespace may still hold it). */
static int detach_disk(const char *dir) {
  if (umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT) disk_die("umount", dir);
  return 0;
}

#endif
