# SPDX-License-Identifier: MIT
"""Real applications from Debian's packages, serving on 127.0.0.1, as dump targets.

usage: app_servers.py KIND PORT
KIND: flask (werkzeug's threaded server), fastapi (uvicorn, asyncio), django
(its WSGI handler under wsgiref, with an in-memory SQLite ORM model),
sqlalchemy (a wsgiref app querying an in-memory SQLite engine), ipykernel (an
IPython kernel; PORT unused, it prints its connection file instead).
Each handles requests on GET / with a body naming the app, and prints
"ready" once it accepts connections.
"""
import sys
import threading

KIND, PORT = sys.argv[1], int(sys.argv[2])


def serve_wsgi(app):
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *a):
            pass

    srv = make_server("127.0.0.1", PORT, app, handler_class=Quiet)
    print("ready", flush=True)
    srv.serve_forever()


if KIND == "flask":
    import logging

    import flask

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = flask.Flask("pyheap_flask_target")
    CACHE = {}

    @app.route("/")
    def index():
        CACHE[len(CACHE)] = "x" * 100
        return "flask %d" % len(CACHE)

    from werkzeug.serving import make_server  # what app.run uses; it listens once made

    srv = make_server("127.0.0.1", PORT, app, threaded=True)
    print("ready", flush=True)
    srv.serve_forever()
elif KIND == "fastapi":
    import fastapi
    import uvicorn

    app = fastapi.FastAPI()

    @app.get("/")
    async def index():
        return {"app": "fastapi"}

    class Server(uvicorn.Server):
        def install_signal_handlers(self):
            pass

    srv = Server(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="error"))
    def announce():
        import time
        while not srv.started:
            time.sleep(0.05)
        print("ready", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    srv.run()
elif KIND == "django":
    import django
    from django.conf import settings

    settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="t",
                       DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                                              "NAME": ":memory:"}},
                       INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"])
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpResponse
    from django.urls import path

    def index(request):
        return HttpResponse("django")

    urlpatterns = [path("", index)]
    serve_wsgi(WSGIHandler())
elif KIND == "sqlalchemy":
    import sqlalchemy as sa

    engine = sa.create_engine("sqlite://")
    meta = sa.MetaData()
    users = sa.Table("users", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.String))
    meta.create_all(engine)
    with engine.begin() as c:
        c.execute(users.insert(), [{"name": "user%d" % i} for i in range(2000)])

    def app(environ, start):
        with engine.connect() as c:
            n = c.execute(sa.select(sa.func.count()).select_from(users)).scalar()
        start("200 OK", [("Content-Type", "text/plain")])
        return [b"sqlalchemy %d" % n]

    serve_wsgi(app)
elif KIND == "ipykernel":
    from ipykernel.kernelapp import IPKernelApp

    import os

    out = os.fdopen(os.dup(1), "w")  # --no-stdout sends stdout to /dev/null
    app = IPKernelApp.instance()
    app.initialize(["--IPKernelApp.connection_file=" + sys.argv[3], "--no-stdout", "--no-stderr"])
    print("ready", file=out, flush=True)
    out.close()
    app.start()
else:
    sys.exit("unknown kind " + KIND)
