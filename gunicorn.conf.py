"""gunicorn reads this file from the working directory (its default `--config`): the Procfile's
`web:` process, the benchmarks and any `gunicorn app:server` started from the repository.

As the server starts, it starts this host's chart renderer, so the first export does not wait
for Chromium (about 2.5 s). `renderer.start` returns as soon as the render server listens; the
server, a process of its own (see exports/renderer.py), warms Chromium while gunicorn forks its
workers. It runs here, in the master, before any worker is forked, and leaves no thread behind:
a thread caught mid-import at a fork would leave the worker waiting forever on that import.

Each worker, once it has loaded the app, starts the in-process scheduler of scheduled reports
and alerts (delivery/scheduler.py; SCHEDULER=auto without REDIS_URL, or inprocess): every
worker asks for the lease, and only its holder ticks, so the schedules run once.
"""

from exports import renderer


def when_ready(server) -> None:
    try:
        renderer.start()
    except renderer.RenderError as error:
        server.log.warning("The chart renderer did not start: %s; exports will try again.", error)


def post_worker_init(worker) -> None:
    from delivery.scheduler import start_in_process

    start_in_process(worker.wsgi)
