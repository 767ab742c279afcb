// Ping-pong load generator (and trivial echo server) for bench/suites/tcp-server.mjs.
// Compiled at bench time with `cc -O2`; a native client so that the generator, not the
// server under test, is never the bottleneck for 64-byte round trips.
//
//   client <port> <connections> <message bytes> <duration ms>
//     Each connection sends one message, waits for all of it to come back, repeats.
//     Prints "<round trips> <elapsed ns>" and exits.
//   server <port>
//     A single-threaded epoll echo server on 127.0.0.1 (the load check); prints
//     "listening <port>" and runs until killed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

typedef struct {
  int fd;
  size_t sent;
  size_t received;
} conn_t;

static int run_client(int port, int nconns, size_t size, long duration_ms) {
  char *message = malloc(size);
  char *scratch = malloc(size < 65536 ? 65536 : size);
  if (!message || !scratch) die("malloc");
  for (size_t i = 0; i < size; i++) message[i] = (char)('a' + i % 26);
  conn_t *conns = calloc((size_t)nconns, sizeof(conn_t));
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  for (int i = 0; i < nconns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    conns[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  }
  uint64_t start = now_ns();
  uint64_t deadline = start + (uint64_t)duration_ms * 1000000ull;
  uint64_t round_trips = 0;
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, 1000);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    uint64_t t = now_ns();
    if (t >= deadline) break;
    for (int k = 0; k < n; k++) {
      conn_t *c = &conns[events[k].data.u32];
      if ((events[k].events & EPOLLOUT) && c->sent < size) {
        ssize_t w = send(c->fd, message + c->sent, size - c->sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) die("send");
        if (w > 0) c->sent += (size_t)w;
        if (c->sent == size) {
          struct epoll_event ev = {.events = EPOLLIN, .data.u32 = events[k].data.u32};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
      }
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t r = recv(c->fd, scratch, size - c->received < 65536 ? size - c->received : 65536, 0);
          if (r < 0 && errno == EAGAIN) break;
          if (r <= 0) {
            fprintf(stderr, "connection closed by the server\n");
            exit(1);
          }
          c->received += (size_t)r;
          if (c->received < size) continue;
          if (c->sent != size) {
            fprintf(stderr, "server echoed more than was sent\n");
            exit(1);
          }
          round_trips++;
          c->sent = 0;
          c->received = 0;
          ssize_t w = send(c->fd, message, size, MSG_NOSIGNAL);
          if (w < 0 && errno != EAGAIN) die("send");
          if (w > 0) c->sent = (size_t)w;
          if (c->sent < size) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = events[k].data.u32};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
          }
          break;
        }
      }
    }
  }
  uint64_t elapsed = now_ns() - start;
  for (int i = 0; i < nconns; i++) close(conns[i].fd);
  printf("%llu %llu\n", (unsigned long long)round_trips, (unsigned long long)elapsed);
  return 0;
}

static int run_server(int port) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(lfd, 511) < 0) die("listen");
  socklen_t len = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &len);
  printf("listening %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  int ep = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  static char buf[1 << 20];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int k = 0; k < n; k++) {
      int fd = events[k].data.fd;
      if (fd == lfd) {
        int cfd = accept4(lfd, NULL, NULL, 0);
        if (cfd < 0) continue;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = cfd};
        epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
        continue;
      }
      // Blocking writes are fine here: ping-pong clients always read their echo.
      ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(fd);
        continue;
      }
      for (ssize_t off = 0; off < r;) {
        ssize_t w = send(fd, buf + off, (size_t)(r - off), MSG_NOSIGNAL);
        if (w <= 0) break;
        off += w;
      }
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "client") == 0) {
    return run_client(atoi(argv[2]), atoi(argv[3]), (size_t)atol(argv[4]), atol(argv[5]));
  }
  if (argc == 3 && strcmp(argv[1], "server") == 0) return run_server(atoi(argv[2]));
  fprintf(stderr, "usage: %s client <port> <conns> <bytes> <ms> | server <port>\n", argv[0]);
  return 2;
}
