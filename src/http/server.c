/* SPDX-License-Identifier: MIT */
/*
 * server.c - the HTTP server of `pyheap serve` (see server.h).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "http/assets.h"

struct ph_server {
	struct MHD_Daemon *d;
	struct ph_api *api;
	int fd;
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	bool any, loopback;
	uint16_t port;
	char hostname[256]; /* this machine's name, lowercase, for a server bound to all addresses */
	char url[96];
};

static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
	"frame-ancestors 'none'";

/* ---- responses ---- */

static enum MHD_Result send_response(struct MHD_Connection *conn, unsigned status, const char *type,
				     void *data, size_t len, bool take, const char *cache)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (take)
		r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
	else
		r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (take)
			free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Hand an API response (its body taken) to MHD. */
static enum MHD_Result send_api(struct MHD_Connection *conn, struct ph_api_response *rs)
{
	uint8_t *data = rs->body.data;
	size_t len = rs->body.len;

	rs->body = (struct ph_buf)PH_BUF_INIT;
	if (!data) {
		data = malloc(1);
		if (!data)
			return MHD_NO;
	}
	return send_response(conn, (unsigned)rs->status, "application/json; charset=utf-8", data, len,
			     true, "no-store");
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *fmt, ...)
{
	struct ph_api_response rs = {0, PH_BUF_INIT};
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ph_api_error(&rs, status, "%s", msg);
	return send_api(conn, &rs);
}

static enum MHD_Result send_asset(struct MHD_Connection *conn, const struct ph_asset *a)
{
	return send_response(conn, MHD_HTTP_OK, a->type, (void *)a->data, a->size, false, "no-cache");
}

/* ---- the Host header ---- */

/*
 * Whether host ("name", "name:port", "[v6]:port") names this server: its
 * port, and its address (localhost too when it is a loopback address; any
 * address, localhost or the machine's name when it listens on all).
 */
static bool host_ok(const struct ph_server *s, const char *host)
{
	char name[256];
	const char *colon;
	size_t n;
	uint64_t port = 80;
	struct in_addr a4;
	struct in6_addr a6;

	if (!host || !*host)
		return false;
	if (host[0] == '[') {
		const char *end = strchr(host, ']');

		if (!end || (size_t)(end - host - 1) >= sizeof(name))
			return false;
		n = (size_t)(end - host - 1);
		memcpy(name, host + 1, n);
		name[n] = 0;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (!colon && end[1])
			return false;
		if (inet_pton(AF_INET6, name, &a6) != 1)
			return false;
	} else {
		colon = strrchr(host, ':');
		n = colon ? (size_t)(colon - host) : strlen(host);
		if (n >= sizeof(name))
			return false;
		memcpy(name, host, n);
		name[n] = 0;
	}
	if (colon) {
		char *end;

		errno = 0;
		port = strtoull(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1)
			return false;
	}
	if (port != s->port)
		return false;
	if (host[0] == '[') {
		if (s->any)
			return true;
		if (s->family == AF_INET6 && !memcmp(&a6, &s->addr.v6, sizeof(a6)))
			return true;
		return s->loopback && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (inet_pton(AF_INET, name, &a4) == 1) {
		if (s->any)
			return true;
		if (s->family == AF_INET && a4.s_addr == s->addr.v4.s_addr)
			return true;
		return s->loopback && (ntohl(a4.s_addr) >> 24) == 127;
	}
	if (!strcasecmp(name, "localhost"))
		return s->loopback || s->any;
	return s->any && s->hostname[0] && !strcasecmp(name, s->hostname);
}

/* ---- requests ---- */

struct args {
	struct ph_api_arg list[PH_API_MAX_ARGS];
	size_t n;
	bool overflow, nul, pretty;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct args *a = cls;

	if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
		a->nul = true; /* %00: the text would be cut short */
		return MHD_NO;
	}
	if (!strcmp(key, "pretty") && (!value || !strcmp(value, "1") || !strcmp(value, "true"))) {
		a->pretty = true;
		return MHD_YES;
	}
	if (a->n == PH_API_MAX_ARGS) {
		a->overflow = true;
		return MHD_NO;
	}
	a->list[a->n].name = key;
	a->list[a->n++].value = value ? value : "";
	return MHD_YES;
}

/* The app's own routes, which the page resolves in the browser (web/src/main.js's). */
static bool app_route(const char *url)
{
	static const char *const exact[] = {"/",      "/threads", "/heap", "/suspects",
					    "/waste", "/paths",   "/diff"};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(url, exact[i]))
			return true;
	return !strncmp(url, "/objects/", 9) && url[9];
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct ph_server *s = cls;
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const struct ph_asset *a;

	if (!host_ok(s, host))
		return send_error(conn, MHD_HTTP_FORBIDDEN,
				  "the Host header '%.100s' does not name this server (%s); pyheap "
				  "refuses it to keep other web pages out (DNS rebinding)",
				  host ? host : "", s->url);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method %.20s not allowed: the server only reads (GET, HEAD)", method);
	if (!strncmp(url, "/api/", 5)) {
		struct args args = {.n = 0};
		struct ph_api_request rq;
		struct ph_api_response rs = {0, PH_BUF_INIT};

		MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
		if (args.overflow)
			return send_error(conn, MHD_HTTP_BAD_REQUEST, "more than %d parameters",
					  PH_API_MAX_ARGS);
		if (args.nul)
			return send_error(conn, MHD_HTTP_BAD_REQUEST, "a parameter holds a NUL byte (%%00)");
		rq.path = url + 4;
		rq.args = args.list;
		rq.n_args = args.n;
		rq.pretty = args.pretty;
		ph_api_answer(s->api, &rq, &rs);
		return send_api(conn, &rs);
	}
	if (app_route(url))
		url = "/index.html";
	a = !strncmp(url, "/assets/", 8) || !strcmp(url, "/index.html") ? ph_asset_find(url) : NULL;
	if (!a)
		return send_error(conn, MHD_HTTP_NOT_FOUND, "no such page: %.200s", url);
	return send_asset(conn, a);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	fputs("pyheap serve: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- lifetime ---- */

static int listen_on(struct ph_server *s, const struct ph_server_opts *o)
{
	const char *addr = o->bind && strcmp(o->bind, "localhost") ? o->bind : "127.0.0.1";
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s->addr.v4) == 1) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		s->family = in->sin_family = AF_INET;
		in->sin_addr = s->addr.v4;
		in->sin_port = htons(o->port);
		len = sizeof(*in);
		s->any = s->addr.v4.s_addr == htonl(INADDR_ANY);
		s->loopback = (ntohl(s->addr.v4.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, addr, &s->addr.v6) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		s->family = in6->sin6_family = AF_INET6;
		in6->sin6_addr = s->addr.v6;
		in6->sin6_port = htons(o->port);
		len = sizeof(*in6);
		s->any = IN6_IS_ADDR_UNSPECIFIED(&s->addr.v6);
		s->loopback = IN6_IS_ADDR_LOOPBACK(&s->addr.v6);
	} else {
		return ph_error(PH_EINVAL, "'%s' is not an IP address (127.0.0.1, ::1, 0.0.0.0, ...)",
				addr);
	}
	s->fd = socket(s->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return ph_error_errno(PH_EIO, errno, "cannot make a socket");
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->family == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&ss, len) || listen(s->fd, 128))
		return ph_error_errno(PH_EIO, errno, "cannot listen on %s port %u", addr, o->port);
	len = sizeof(ss);
	if (getsockname(s->fd, (struct sockaddr *)&ss, &len))
		return ph_error_errno(PH_EIO, errno, "cannot read the port of the socket");
	s->port = ntohs(s->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (s->family == AF_INET6)
		snprintf(s->url, sizeof(s->url), "http://[%s]:%u/", addr, s->port);
	else
		snprintf(s->url, sizeof(s->url), "http://%s:%u/", addr, s->port);
	return 0;
}

int ph_server_start(struct ph_server **out, struct ph_api *api, const struct ph_server_opts *o)
{
	struct ph_server *s = calloc(1, sizeof(*s));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = o->threads ? o->threads : cores > 0 ? (unsigned)cores : 1;
	int err;

	*out = NULL;
	if (!s)
		return ph_error(PH_ENOMEM, "cannot allocate a server");
	s->api = api;
	s->fd = -1;
	err = listen_on(s, o);
	if (err)
		goto out_free;
	if (s->any && gethostname(s->hostname, sizeof(s->hostname)) != 0)
		s->hostname[0] = 0;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
					(s->family == AF_INET6 ? MHD_USE_IPv6 : 0),
				0, NULL, NULL, handle, s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL,
				MHD_OPTION_LISTEN_SOCKET, s->fd,
				MHD_OPTION_THREAD_POOL_SIZE, threads > 64 ? 64u : threads,
				MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				MHD_OPTION_END);
	if (!s->d) {
		err = ph_error(PH_EIO, "cannot start the HTTP server on %s", s->url);
		goto out_free;
	}
	s->fd = -1; /* the daemon's now: closed when it stops */
	*out = s;
	return 0;
out_free:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return err;
}

const char *ph_server_url(const struct ph_server *s)
{
	return s->url;
}

bool ph_server_is_local(const struct ph_server *s)
{
	return s->loopback;
}

void ph_server_stop(struct ph_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
