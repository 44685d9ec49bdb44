// LD_PRELOAD shim for experiments: sets TCP_NODELAY on every socket the
// process accepts, to show what the server's latency would be with Nagle's
// algorithm off (cpp-httplib leaves it on unless Server::set_tcp_nodelay(true)).
//   gcc -O2 -shared -fPIC -o bench/out/nodelay.so bench/tools/nodelay_preload.c -ldl
//   LD_PRELOAD=bench/out/nodelay.so build/release/cross_pictures serve ...
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void set_nodelay(int fd) {
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on non-TCP sockets
  }
}

int accept(int fd, struct sockaddr* addr, socklen_t* len) {
  static int (*real)(int, struct sockaddr*, socklen_t*);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*))dlsym(RTLD_NEXT, "accept");
  int c = real(fd, addr, len);
  set_nodelay(c);
  return c;
}

int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  static int (*real)(int, struct sockaddr*, socklen_t*, int);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*, int))dlsym(RTLD_NEXT, "accept4");
  int c = real(fd, addr, len, flags);
  set_nodelay(c);
  return c;
}
