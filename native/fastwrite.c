/*
 * Parley's one native helper: a socket write beneath net.Socket, for the fan-out's data frames.
 * Node's stream write costs a WriteWrap, a libuv request and an afterWrite tick per call; a frame
 * to a socket with nothing pending in Node can go straight to the kernel instead. Optional: when
 * this does not build or load, Parley writes through net.Socket (src/transport/direct-write.ts).
 */
#include <errno.h>
#include <node_api.h>
#include <sys/socket.h>

/* send(fd, buffer) -> bytes the kernel took (maybe fewer than asked), or -errno. Never blocks,
 * never raises SIGPIPE; the caller hands whatever is left (and any error) to net.Socket. */
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  void *data = NULL;
  size_t len = 0;
  ssize_t n;
  napi_value out;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(fd, buffer)");
    return NULL;
  }
  do {
    n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &out);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "send", NAPI_AUTO_LENGTH, Send, NULL, &fn);
  napi_set_named_property(env, exports, "send", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
