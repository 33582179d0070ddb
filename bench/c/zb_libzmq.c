/*
 * zb-libzmq: the libzmq peer of the zocket benchmark harness.
 *
 * Written for this harness against libzmq's public C API only. The runner
 * compiles it with `gcc -O2 -o target/zb-libzmq c/zb_libzmq.c -lzmq` and talks
 * to it through the same line protocol as the Rust peers (see src/peer/mod.rs):
 *
 *   zb-libzmq version
 *   zb-libzmq ROLE ENDPOINT SIZE COUNT WARMUP
 *
 * Binding roles (pull, router, rep, pub) print `READY <endpoint>`; subscribers
 * print `JOINED` once they receive the publisher's first warm-up message; every
 * role ends with one `RESULT key=value ...` line. `inproc` binds a PULL to
 * ENDPOINT and runs a PUSH connected to it in a second thread of the same context,
 * printing the receiver's RESULT. Errors go to stderr with a non-zero exit code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* A receiver that hears nothing for this long gives up. */
#define STALL_MS 20000

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "zb-libzmq: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static void ready(void *s) {
    char ep[256];
    size_t len = sizeof ep;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) != 0) die("getsockopt LAST_ENDPOINT");
    printf("READY %s\n", ep);
    fflush(stdout);
}

/* The runner's commands on stdin: 0 = nothing yet, 1 = GO, 2 = STOP. */
static int stdin_stage = 0;

/* Waits up to `ms` for a runner command and returns the current stage. */
static int poll_stdin(int ms) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, ms) > 0) {
        char buf[64];
        ssize_t n = read(0, buf, sizeof buf - 1);
        if (n <= 0) {
            stdin_stage = 2; /* runner went away */
        } else {
            buf[n] = 0;
            if (strstr(buf, "STOP")) stdin_stage = 2;
            else if (strstr(buf, "GO") && stdin_stage < 1) stdin_stage = 1;
        }
    }
    return stdin_stage;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int send_tagged(void *s, size_t size, char tag) {
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, size) != 0) die("msg_init_size");
    ((char *)zmq_msg_data(&m))[0] = tag;
    int rc = zmq_msg_send(&m, s, 0);
    if (rc < 0) zmq_msg_close(&m);
    return rc;
}

/*
 * Receives `count` messages of `size` bytes (ROUTER: `[routing id][body]` when
 * `routed`), timing first -> last, and prints the receiver's RESULT line.
 */
static int recv_count(void *s, size_t size, long count, int routed) {
    zmq_msg_t m;
    zmq_msg_init(&m);
    double t0 = 0;
    unsigned long long bytes = 0;
    for (long i = 0; i < count; i++) {
        if (routed) {
            if (zmq_msg_recv(&m, s, 0) < 0) die("recv");
            if (!zmq_msg_more(&m)) {
                fprintf(stderr, "zb-libzmq: ROUTER message without a body frame\n");
                return 1;
            }
        }
        if (zmq_msg_recv(&m, s, 0) < 0) die("recv");
        if (zmq_msg_size(&m) != size || zmq_msg_more(&m)) {
            fprintf(stderr, "zb-libzmq: got %zu bytes, expected %zu\n", zmq_msg_size(&m), size);
            return 1;
        }
        bytes += zmq_msg_size(&m);
        if (i == 0) t0 = now_s();
    }
    double secs = now_s() - t0;
    zmq_msg_close(&m);
    printf("RESULT count=%ld secs=%.9f bytes=%llu\n", count, secs, bytes);
    return 0;
}

/* Sends `count` messages of `size` bytes (no copy: zmq_msg_init_size); returns seconds. */
static double send_count(void *s, size_t size, long count) {
    double t0 = now_s();
    for (long i = 0; i < count; i++) {
        zmq_msg_t m;
        if (zmq_msg_init_size(&m, size) != 0) die("msg_init_size");
        if (zmq_msg_send(&m, s, 0) < 0) die("send");
    }
    return now_s() - t0;
}

/* The sending thread of `inproc`. */
struct inproc_sender {
    void *ctx;
    const char *endpoint;
    size_t size;
    long count;
};

static void *inproc_send(void *arg) {
    struct inproc_sender *a = arg;
    void *s = zmq_socket(a->ctx, ZMQ_PUSH);
    if (zmq_connect(s, a->endpoint) != 0) die("connect");
    send_count(s, a->size, a->count);
    zmq_close(s); /* LINGER -1: zmq_ctx_term waits until the receiver has all */
    return NULL;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "version") == 0) {
        int a, b, c;
        zmq_version(&a, &b, &c);
        printf("VERSION %d.%d.%d\n", a, b, c);
        return 0;
    }
    if (argc < 6) {
        fprintf(stderr, "usage: zb-libzmq pull|push|router|dealer|inproc|rep|req|pub|sub ENDPOINT SIZE COUNT WARMUP\n");
        return 2;
    }
    const char *role = argv[1];
    const char *endpoint = argv[2];
    size_t size = (size_t)strtoull(argv[3], NULL, 10);
    long count = strtol(argv[4], NULL, 10);
    long warmup = strtol(argv[5], NULL, 10);
    if (size < 1) size = 1;
    int stall = STALL_MS;

    void *ctx = zmq_ctx_new();
    if (!ctx) die("ctx_new");

    if (strcmp(role, "pull") == 0 || strcmp(role, "router") == 0) {
        int routed = strcmp(role, "router") == 0;
        void *s = zmq_socket(ctx, routed ? ZMQ_ROUTER : ZMQ_PULL);
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &stall, sizeof stall);
        if (zmq_bind(s, endpoint) != 0) die("bind");
        ready(s);
        if (recv_count(s, size, count, routed) != 0) return 1;
        zmq_close(s);
    } else if (strcmp(role, "push") == 0 || strcmp(role, "dealer") == 0) {
        void *s = zmq_socket(ctx, strcmp(role, "dealer") == 0 ? ZMQ_DEALER : ZMQ_PUSH);
        if (zmq_connect(s, endpoint) != 0) die("connect");
        double secs = send_count(s, size, count);
        zmq_close(s); /* LINGER -1: zmq_ctx_term below waits until all is written */
        printf("RESULT count=%ld secs=%.9f\n", count, secs);
    } else if (strcmp(role, "inproc") == 0) {
        void *s = zmq_socket(ctx, ZMQ_PULL);
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &stall, sizeof stall);
        if (zmq_bind(s, endpoint) != 0) die("bind");
        struct inproc_sender a = {.ctx = ctx, .endpoint = endpoint, .size = size, .count = count};
        pthread_t t;
        if (pthread_create(&t, NULL, inproc_send, &a) != 0) {
            fprintf(stderr, "zb-libzmq: pthread_create failed\n");
            return 1;
        }
        if (recv_count(s, size, count, 0) != 0) return 1;
        pthread_join(t, NULL);
        zmq_close(s);
    } else if (strcmp(role, "rep") == 0) {
        void *s = zmq_socket(ctx, ZMQ_REP);
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &stall, sizeof stall);
        if (zmq_bind(s, endpoint) != 0) die("bind");
        ready(s);
        zmq_msg_t m;
        zmq_msg_init(&m);
        for (long i = 0; i < count + warmup; i++) {
            if (zmq_msg_recv(&m, s, 0) < 0) die("recv");
            if (zmq_msg_send(&m, s, 0) < 0) die("send");
        }
        zmq_msg_close(&m);
        printf("RESULT count=%ld\n", count + warmup);
        zmq_close(s);
    } else if (strcmp(role, "req") == 0) {
        void *s = zmq_socket(ctx, ZMQ_REQ);
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &stall, sizeof stall);
        if (zmq_connect(s, endpoint) != 0) die("connect");
        char *buf = calloc(1, size);
        int64_t *rtt = malloc(sizeof(int64_t) * (size_t)(count > 0 ? count : 1));
        zmq_msg_t m;
        zmq_msg_init(&m);
        for (long i = 0; i < warmup + count; i++) {
            int64_t t0 = now_ns();
            if (zmq_send(s, buf, size, 0) < 0) die("send");
            if (zmq_msg_recv(&m, s, 0) < 0) die("recv");
            int64_t t1 = now_ns();
            if (zmq_msg_size(&m) != size) {
                fprintf(stderr, "zb-libzmq: reply of %zu bytes, expected %zu\n", zmq_msg_size(&m), size);
                return 1;
            }
            if (i >= warmup) rtt[i - warmup] = t1 - t0;
        }
        zmq_msg_close(&m);
        double sum = 0;
        for (long i = 0; i < count; i++) sum += (double)rtt[i];
        qsort(rtt, (size_t)count, sizeof(int64_t), cmp_i64);
        printf("RESULT count=%ld mean_ns=%.1f p50_ns=%lld p99_ns=%lld\n", count, sum / (double)count,
               (long long)rtt[count / 2], (long long)rtt[(count * 99) / 100]);
        free(buf);
        free(rtt);
        zmq_close(s);
    } else if (strcmp(role, "pub") == 0) {
        void *s = zmq_socket(ctx, ZMQ_PUB);
        if (zmq_bind(s, endpoint) != 0) die("bind");
        ready(s);
        /* Warm-up messages until the runner says every subscriber has joined. */
        while (poll_stdin(1) < 1) {
            if (send_tagged(s, size, 'W') < 0) die("send");
        }
        double t0 = now_s();
        for (long i = 0; i < count; i++) {
            if (send_tagged(s, size, 'D') < 0) die("send");
        }
        double secs = now_s() - t0;
        /* End markers until the runner says every subscriber is done (PUB may drop some). */
        for (int i = 0; i < 20000 && poll_stdin(1) < 2; i++) {
            if (send_tagged(s, size, 'E') < 0) die("send");
        }
        int zero = 0;
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        printf("RESULT count=%ld secs=%.9f\n", count, secs);
        zmq_close(s);
    } else if (strcmp(role, "sub") == 0) {
        void *s = zmq_socket(ctx, ZMQ_SUB);
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &stall, sizeof stall);
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
        if (zmq_connect(s, endpoint) != 0) die("connect");
        zmq_msg_t m;
        zmq_msg_init(&m);
        int joined = 0;
        long got = 0;
        double first = 0, last = 0;
        for (;;) {
            if (zmq_msg_recv(&m, s, 0) < 0) die("recv");
            char tag = zmq_msg_size(&m) ? ((char *)zmq_msg_data(&m))[0] : 0;
            if (tag == 'W') {
                if (!joined) {
                    joined = 1;
                    printf("JOINED\n");
                    fflush(stdout);
                }
            } else if (tag == 'D') {
                last = now_s();
                if (got == 0) first = last;
                got++;
            } else if (tag == 'E') {
                break;
            }
        }
        zmq_msg_close(&m);
        printf("RESULT count=%ld secs=%.9f\n", got, last - first);
        zmq_close(s);
    } else {
        fprintf(stderr, "zb-libzmq: unknown role %s\n", role);
        return 2;
    }
    fflush(stdout);
    zmq_ctx_term(ctx);
    return 0;
}
