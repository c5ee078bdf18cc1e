/* Fuzzes the response handling of the libcurl transport (src/http.c: the
 * header and body callbacks, Retry-After, the size cap, the error mapping)
 * with raw HTTP answers. A server thread in this process listens on
 * loopback; for each input it reads the request coc_client_send sends and
 * answers the fuzz bytes as they are, then closes the connection. Timeouts
 * are short and bounded, and the server always closes, so libcurl never
 * waits for more. Invariants: no crash, no leak, and a result that keeps its
 * promises (an answer within max_response, NUL-terminated strings; or an
 * error of a known kind with a printable message). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"

static int listener = -1;
static unsigned short port;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* A copy of the current input: a connection may still be served after
 * coc_client_send gave up on it, when libFuzzer has freed the input. */
static uint8_t answer[1 << 16];
static size_t answer_len;

/* Reads one request: headers, then Content-Length bytes (bounded waits). */
static void read_request(int fd) {
  char buf[8192];
  size_t have = 0, need = (size_t)-1;
  struct pollfd pfd;
  pfd.fd = fd;
  pfd.events = POLLIN;
  while (have < sizeof buf - 1 && (need == (size_t)-1 || have < need)) {
    ssize_t n;
    if (poll(&pfd, 1, 1000) <= 0) return;
    n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n <= 0) return;
    have += (size_t)n;
    buf[have] = '\0';
    if (need == (size_t)-1) {
      char *end = strstr(buf, "\r\n\r\n"), *cl = strstr(buf, "Content-Length: ");
      if (end) need = (size_t)(end + 4 - buf) + (cl ? (size_t)strtoul(cl + 16, NULL, 10) : 0);
    }
  }
}

static void *serve(void *unused) {
  (void)unused;
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) continue;
    read_request(fd);
    pthread_mutex_lock(&lock);
    if (answer_len) {
      ssize_t n = write(fd, answer, answer_len);
      (void)n;
    }
    pthread_mutex_unlock(&lock);
    shutdown(fd, SHUT_WR);
    close(fd);
  }
  return NULL;
}

static void start_server(void) {
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  pthread_t t;
  int one = 1;
  listener = socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_ASSERT(listener >= 0, "socket");
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  FUZZ_ASSERT(bind(listener, (struct sockaddr *)&a, sizeof a) == 0, "bind");
  FUZZ_ASSERT(listen(listener, 16) == 0, "listen");
  getsockname(listener, (struct sockaddr *)&a, &alen);
  port = ntohs(a.sin_port);
  FUZZ_ASSERT(pthread_create(&t, NULL, serve, NULL) == 0, "thread");
  pthread_detach(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char body[] = "{\"history_info\":{\"action\":\"change_complete_success\"}}";
  char endpoint[64];
  coc_config cfg;
  coc_error err;
  coc_response res;
  coc_client *c;
  coc_status st;

  if (listener < 0) start_server();
  pthread_mutex_lock(&lock);
  answer_len = size < sizeof answer ? size : sizeof answer;
  memcpy(answer, data, answer_len);
  pthread_mutex_unlock(&lock);

  snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%u", (unsigned)port);
  coc_config_defaults(&cfg);
  cfg.endpoint = endpoint;
  cfg.auth_token = "fuzz-token";
  cfg.domain_id = "d";
  cfg.connect_timeout_ms = 2000;
  cfg.timeout_ms = 3000;
  cfg.deadline_ms = 3000;
  cfg.max_response = 1024; /* the smallest allowed, so inputs can pass it */
  c = coc_client_new(&cfg, &err);
  FUZZ_ASSERT(c != NULL, "client");
  st = coc_client_send(c, "PUT", "/v2/changes/FUZZ-1", NULL, body, sizeof body - 1, &res, &err);
  if (st == COC_OK) {
    FUZZ_ASSERT(res.body_len <= 1024, "an answer larger than max_response");
    FUZZ_ASSERT(strlen(res.body) <= res.body_len, "the body is not NUL-terminated");
    FUZZ_ASSERT(strlen(res.request_id) < 128 && strlen(res.content_type) < 128, "header values");
    FUZZ_ASSERT(res.attempts == 1, "one attempt without retries");
  } else {
    FUZZ_ASSERT(st == COC_ESEND, "send failed otherwise than with COC_ESEND");
    FUZZ_ASSERT(err.kind == COC_ERR_NETWORK || err.kind == COC_ERR_TIMEOUT, "an error of an unexpected kind");
    FUZZ_ASSERT(err.code && !strncmp(err.code, "COC.", 4), "error code");
    FUZZ_ASSERT(memchr(err.message, '\0', sizeof err.message) != NULL, "error message not terminated");
    FUZZ_ASSERT(err.attempts == 1, "one attempt without retries");
  }
  if (getenv("FUZZ_VERBOSE"))
    fprintf(stderr, "st %d status %ld body %zu id '%s' type '%s' err %s %s\n", (int)st, res.status, res.body_len,
            st == COC_OK ? res.request_id : "", st == COC_OK ? res.content_type : "", st == COC_OK ? "" : err.code,
            st == COC_OK ? "" : err.message);
  coc_client_free(c);
  return 0;
}
