// praetor-run: the native fast path of `praetor run [--] CMD [ARGS...]` through praetord.
//
// Node's own start-up (~90-130 ms here) is more than a one-shot run through the daemon may cost
// in all, so the common form is served by this small client: one POST /v1/run over the daemon's
// unix socket (or PRAETOR_HOST), the step's stdout and stderr written to our own fds as they
// arrive, alerts as `praetor: <line>` on stderr, and the command's exit code as ours, exactly as
// the node path (src/cli/run-remote.ts) does. Anything else is handed to the node CLI by exec with
// the argv unchanged: any praetor flag, no daemon (the node CLI then runs the command locally), an
// unreachable or refusing daemon (node prints its one-line error), a daemon without /v1/run (404:
// node runs it in steps), anything unexpected before the daemon said which sandbox it made.
//
// HTTP is libcurl's (unix sockets, TLS, streaming); JSON is nlohmann-json's; base64 is OpenSSL's
// (libcurl loads libcrypto already). The server-sent
// events framing (a few lines: `event:`, `data:`, a blank line ends an event) is parsed here:
// neither library reads it and no packaged C++ SSE library is worth a dependency for it.
#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr const char *DEFAULT_SOCKET = "/run/praetor/praetord.sock";
// cli/exit-codes.ts
constexpr int EXIT_SANDBOX_FAILURE = 69;
constexpr int EXIT_TIMEOUT = 124;
constexpr int EXIT_INTERRUPTED = 130;
constexpr int EXIT_KILLED = 128 + 9;

char **g_argv = nullptr;

// Replaces this process with the node CLI (dist/cli/main.js beside native/build/), same argv.
[[noreturn]] void hand_off() {
  std::string self(4096, '\0');
  ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  std::string root = n > 0 ? self.substr(0, static_cast<size_t>(n)) : std::string("native/build/praetor-run");
  for (int up = 0; up < 3; up++) root = root.substr(0, root.find_last_of('/') == std::string::npos ? 0 : root.find_last_of('/'));
  std::string main_js = (root.empty() ? std::string(".") : root) + "/dist/cli/main.js";
  const char *node = getenv("PRAETOR_NODE");
  if (node == nullptr || *node == '\0') node = "node";
  std::vector<char *> args;
  args.push_back(const_cast<char *>(node));
  args.push_back(main_js.data());
  for (char **a = g_argv + 1; *a != nullptr; a++) args.push_back(*a);
  args.push_back(nullptr);
  execvp(node, args.data());
  dprintf(2, "praetor: cannot start the node CLI (%s %s): %s\n", node, main_js.c_str(), strerror(errno));
  _exit(EXIT_SANDBOX_FAILURE);
}

// Writes all of it; output to a closed pipe is dropped, as node drops it.
void write_all(int fd, const std::string &text) {
  const char *p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    left -= static_cast<size_t>(w);
  }
}

// The command of the one form this client serves, or false: `run` then positionals only (the
// same as util.parseArgs with no flag given: before `--` nothing may start with `-`).
bool command_of(int argc, char **argv, std::vector<std::string> &command) {
  if (argc < 3 || strcmp(argv[1], "run") != 0) return false;
  bool after_dashes = false;
  for (int i = 2; i < argc; i++) {
    if (!after_dashes && strcmp(argv[i], "--") == 0) {
      after_dashes = true;
      continue;
    }
    if (!after_dashes && argv[i][0] == '-') return false;
    command.emplace_back(argv[i]);
  }
  return !command.empty();
}

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

struct Target {
  std::string socket;  // a unix socket, or empty
  std::string url;     // the /v1/run URL
};

// Where the daemon is, as client/target.ts parses PRAETOR_HOST; false: let the node CLI decide.
bool find_target(Target &t) {
  const char *host = getenv("PRAETOR_HOST");
  if (host != nullptr && *host != '\0') {
    std::string v = trim(host);
    if (v.rfind("unix:", 0) == 0) {
      v = v.substr(5);
      if (v.rfind("///", 0) == 0) v = v.substr(2);
      if (v.empty() || v[0] != '/') return false;
      t.socket = v;
    } else if (!v.empty() && v[0] == '/') {
      t.socket = v;
    } else if (v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0) {
      // Only a plain origin with an optional path prefix; anything fancier is node's to parse.
      if (v.find_first_of("?#@ \\") != std::string::npos) return false;
      while (!v.empty() && v.back() == '/') v.pop_back();
      t.url = v + "/v1/run";
      return true;
    } else {
      return false;  // not an address: node prints the usage error
    }
  } else {
    const char *sock = getenv("PRAETOR_SOCKET");
    t.socket = (sock != nullptr && *sock != '\0') ? sock : DEFAULT_SOCKET;
    struct stat st;
    if (stat(t.socket.c_str(), &st) != 0) return false;  // no daemon: node runs it here
  }
  t.url = "http://praetord/v1/run";
  return true;
}

// The exact bytes of an output event (`bytes`, base64), or its UTF-8 text from a daemon that sends none.
std::string output_of(const nlohmann::json &d) {
  if (d.contains("bytes") && d["bytes"].is_string()) {
    const std::string &b64 = d["bytes"].get_ref<const std::string &>();
    std::string out(b64.size() / 4 * 3 + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()), reinterpret_cast<const unsigned char *>(b64.data()), static_cast<int>(b64.size()));
    if (n >= 0) {
      // EVP_DecodeBlock counts the padding as zero bytes: drop one per '='.
      size_t pad = 0;
      for (size_t i = b64.size(); i > 0 && b64[i - 1] == '=' && pad < 2; i--) pad++;
      out.resize(static_cast<size_t>(n) - pad);
      return out;
    }
  }
  return d.contains("data") && d["data"].is_string() ? d["data"].get<std::string>() : std::string();
}

// The alert's line for daemons that do not send it ready-made (cli/remote.ts describeApiAlert).
std::string alert_line(const nlohmann::json &a) {
  if (a.contains("line") && a["line"].is_string()) return a["line"].get<std::string>();
  auto str = [&](const char *k) { return a.contains(k) && a[k].is_string() ? a[k].get<std::string>() : std::string(); };
  std::string where;
  if (a.contains("step") && a["step"].is_number()) where = "step " + a["step"].dump();
  if (a.contains("pid") && a["pid"].is_number()) where += (where.empty() ? "" : ", ") + std::string("pid ") + a["pid"].dump();
  std::string argv;
  if (a.contains("argv") && a["argv"].is_array()) {
    std::string joined, collapsed;
    for (size_t i = 0; i < a["argv"].size(); i++) {
      const auto &x = a["argv"][i];
      joined += (i == 0 ? "" : " ") + (x.is_string() ? x.get<std::string>() : x.dump());
    }
    for (char c : joined) {
      bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
      if (space && !collapsed.empty() && collapsed.back() == ' ') continue;
      collapsed += space ? ' ' : c;
    }
    argv = ": " + collapsed.substr(0, 100);
  }
  return "ALERT [" + str("severity") + "] " + str("technique") + " " + str("ruleId") + (where.empty() ? "" : " (" + where + ")") + argv;
}

struct Run {
  CURL *curl = nullptr;
  bool started = false;      // the daemon named its sandbox: from here on the run is ours
  bool hand_off = false;     // decided before anything was written
  bool finished = false;
  int exit_code = EXIT_SANDBOX_FAILURE;
  std::string pending;       // bytes not yet split into lines
  std::string event = "message";
  std::string data;
  bool has_data = false;
};

void dispatch(Run &r) {
  std::string name = r.event;
  r.event = "message";
  if (!r.has_data) return;
  r.has_data = false;
  nlohmann::json d = nlohmann::json::parse(r.data, nullptr, false);
  r.data.clear();
  if (d.is_discarded() || !d.is_object()) {
    if (!r.started) r.hand_off = true;
    return;
  }
  if (name == "sandbox") {
    r.started = true;
  } else if (!r.started) {
    r.hand_off = true;  // a stream that does not start as this client knows it
  } else if (name == "stdout" || name == "stderr") {
    write_all(name == "stdout" ? 1 : 2, output_of(d));
  } else if (name == "alert") {
    write_all(2, "praetor: " + alert_line(d) + "\n");
  } else if (name == "exit") {
    r.finished = true;
    bool timed_out = d.contains("timedOut") && d["timedOut"] == true;
    if (timed_out) {
      write_all(2, "praetor: killed after --timeout s\n");
      r.exit_code = EXIT_TIMEOUT;
    } else {
      r.exit_code = d.contains("exitCode") && d["exitCode"].is_number_integer() ? d["exitCode"].get<int>() : EXIT_KILLED;
    }
  } else if (name == "error") {
    r.finished = true;
    std::string message = d.contains("message") && d["message"].is_string() ? d["message"].get<std::string>() : "the step failed";
    write_all(2, "praetor: " + message + "\n");
    r.exit_code = EXIT_SANDBOX_FAILURE;
  }
}

size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  Run &r = *static_cast<Run *>(userdata);
  size_t n = size * nmemb;
  if (!r.started) {
    long status = 0;
    curl_easy_getinfo(r.curl, CURLINFO_RESPONSE_CODE, &status);
    char *type = nullptr;
    curl_easy_getinfo(r.curl, CURLINFO_CONTENT_TYPE, &type);
    if (status != 200 || type == nullptr || strncmp(type, "text/event-stream", 17) != 0) {
      r.hand_off = true;  // a refusal (4xx, 5xx) or an older daemon (404): node says or does the rest
      return 0;
    }
  }
  r.pending.append(ptr, n);
  size_t start = 0;
  for (;;) {
    size_t nl = r.pending.find('\n', start);
    if (nl == std::string::npos) break;
    std::string line = r.pending.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      dispatch(r);
      if (r.hand_off) return 0;
      if (r.finished) return 0;  // the exit is in: no need to wait for the daemon to close
      continue;
    }
    if (line[0] == ':') continue;
    size_t colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "event") {
      r.event = value;
    } else if (field == "data") {
      if (r.has_data) r.data += '\n';
      r.data += value;
      r.has_data = true;
    }
  }
  r.pending.erase(0, start);
  return n;
}

[[noreturn]] void on_signal(int) {
  // Leaving is enough: the daemon destroys a run's sandbox when its client goes away.
  _exit(EXIT_INTERRUPTED);
}

}  // namespace

int main(int argc, char **argv) {
  g_argv = argv;
  std::vector<std::string> command;
  const char *native = getenv("PRAETOR_NATIVE_CLIENT");
  const char *debug = getenv("PRAETOR_DEBUG");
  if ((native != nullptr && strcmp(native, "0") == 0) || (debug != nullptr && strcmp(debug, "1") == 0)) hand_off();
  if (!command_of(argc, argv, command)) hand_off();
  Target target;
  if (!find_target(target)) hand_off();

  // The body the node path sends for a run without flags (run-remote.ts sandboxOptions).
  nlohmann::json body = {
      {"command", command},
      {"sandbox", {{"allowDomains", nlohmann::json::array()}, {"denyDomains", nlohmann::json::array()}, {"allowCidrs", nlohmann::json::array()}, {"env", nlohmann::json::object()}, {"guardMode", "block"}}},
  };
  std::string payload = body.dump();

  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (curl_global_init(target.socket.empty() ? CURL_GLOBAL_DEFAULT : CURL_GLOBAL_NOTHING) != CURLE_OK) hand_off();
  Run r;
  r.curl = curl_easy_init();
  if (r.curl == nullptr) hand_off();
  struct curl_slist *headers = nullptr;
  headers = curl_slist_append(headers, "content-type: application/json");
  headers = curl_slist_append(headers, "accept: text/event-stream");
  headers = curl_slist_append(headers, "expect:");  // a long command line must not wait for 100-continue
  std::string auth;
  const char *key = getenv("PRAETOR_API_KEY");
  if (key != nullptr && *key != '\0') {
    auth = std::string("authorization: Bearer ") + key;
    headers = curl_slist_append(headers, auth.c_str());
  }
  curl_easy_setopt(r.curl, CURLOPT_URL, target.url.c_str());
  if (!target.socket.empty()) curl_easy_setopt(r.curl, CURLOPT_UNIX_SOCKET_PATH, target.socket.c_str());
  curl_easy_setopt(r.curl, CURLOPT_PROXY, "");  // as node's client: no http_proxy/ALL_PROXY from the environment
  curl_easy_setopt(r.curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(r.curl, CURLOPT_USERAGENT, "praetor-run (native)");
  curl_easy_setopt(r.curl, CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(r.curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  curl_easy_setopt(r.curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(r.curl, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(r.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(r.curl, CURLOPT_TCP_NODELAY, 1L);
  CURLcode rc = curl_easy_perform(r.curl);
  if (!r.finished && r.has_data) dispatch(r);  // a last event the daemon closed without a blank line
  if (r.hand_off || !r.started) hand_off();  // unreachable, refused, or not a run stream: node's to say
  (void)rc;
  if (!r.finished) {
    write_all(2, "praetor: the exec stream ended before the command exited\n");
    return EXIT_SANDBOX_FAILURE;
  }
  // Not cleaned up: the process ends here, and the daemon destroys the sandbox on its own.
  _exit(r.exit_code);
}
