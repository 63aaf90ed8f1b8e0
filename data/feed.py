"""The demo live feed: appends realistic new orders, stamped with the current time, every second or so.

`DemoFeed.tick()` writes one batch in one transaction. `DemoFeed.start()` runs ticks on a daemon
thread (what `make run` uses); `python -m data.feed` runs it as its own process (the Procfile's
`feed:`). Both stop cleanly: the thread on `stop()`, the process on SIGINT or SIGTERM.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable

import numpy as np
from sqlalchemy import Engine, func, select, update

from data import demo_catalogue as cat
from data.models import Customer, ForecastMonth, Order, OrderLine, Product, utcnow

log = logging.getLogger(__name__)
# The demo runs this many times faster than its own history, and never slower than an order a
# minute: lively enough to watch, without swamping the seeded business within minutes.
DEFAULT_SPEEDUP = 10.0
MIN_ORDERS_PER_SECOND = 1 / 60


class DemoFeed:
    """Writes new orders for existing customers and products; needs a seeded database."""

    def __init__(self, engine: Engine, interval: float = 1.0, seed: int | None = None,
                 clock: Callable[[], dt.datetime] = utcnow, orders_per_second: float | None = None,
                 speedup: float = DEFAULT_SPEEDUP):
        """`orders_per_second` None: the business's own rate over its last week, times `speedup`
        (at least one order a minute), so the live numbers stay believable next to the history."""
        self.engine = engine
        self.interval = interval
        self.clock = clock
        self.speedup = speedup
        self._rate = orders_per_second
        self.rng = np.random.default_rng(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._customers: list | None = None
        self._products: list | None = None

    @property
    def orders_per_tick(self) -> float:
        if self._rate is None:
            self._rate = self._recent_rate()
        return self._rate * self.interval

    def _recent_rate(self) -> float:
        """Orders per second over the last week of data, times the demo speed-up."""
        with self.engine.connect() as connection:
            last = connection.execute(select(func.max(Order.order_date))).scalar()
            if last is None:
                return MIN_ORDERS_PER_SECOND
            week = connection.execute(select(func.count()).select_from(Order).where(
                Order.order_date >= last - dt.timedelta(days=7))).scalar_one()
        return max(week / (7 * 86400) * self.speedup, MIN_ORDERS_PER_SECOND)

    def _load_catalogue(self) -> None:
        with self.engine.connect() as connection:
            self._customers = connection.execute(
                select(Customer.id, Customer.name, Customer.segment, Customer.region, Customer.country)
            ).all()
            self._products = connection.execute(
                select(Product.id, Product.name, Product.category, Product.sub_category,
                       Product.unit_price, Product.unit_cost)
            ).all()

    def tick(self, orders: int | None = None) -> int:
        """Insert one batch of new orders (Poisson-sized unless `orders` is given); return lines added."""
        if self._customers is None:
            self._load_catalogue()
        if not self._customers or not self._products:
            return 0
        count = int(self.rng.poisson(self.orders_per_tick)) if orders is None else orders
        if count == 0:
            return 0
        now = self.clock()
        lines = []
        for _ in range(count):
            customer = self._customers[int(self.rng.integers(len(self._customers)))]
            extra_lines, extra_units, discount = cat.SEGMENTS[customer.segment][1:]
            order_lines = []
            for _ in range(min(1 + int(self.rng.poisson(0.7 * extra_lines + 0.6)), 9)):
                product = self._products[int(self.rng.integers(len(self._products)))]
                units = 1 + int(self.rng.poisson(extra_units * (0.3 if product.category == "Bikes" else 1)))
                revenue = round(units * product.unit_price * (1 - discount), 2)
                cost = round(units * product.unit_cost, 2)
                order_lines.append({
                    "order_date": now, "customer_id": customer.id, "product_id": product.id,
                    "region": customer.region, "country": customer.country, "segment": customer.segment,
                    "category": product.category, "sub_category": product.sub_category,
                    "product": product.name, "customer": customer.name, "quantity": units,
                    "unit_price": product.unit_price, "discount": discount, "revenue": revenue,
                    "cost": cost, "gross_profit": round(revenue - cost, 2), "is_return": False,
                })
            lines.append((customer.id, order_lines))
        self._write(now, lines)
        return sum(len(order_lines) for _, order_lines in lines)

    def _write(self, now: dt.datetime, lines: list) -> None:
        month = now.date().replace(day=1)
        revenue_by_cell: dict[tuple[str, str], float] = {}
        channel_names, channel_share = zip(*cat.CHANNELS, strict=True)
        with self.engine.begin() as connection:
            for customer_id, order_lines in lines:
                channel = str(self.rng.choice(channel_names, p=channel_share))
                order_id = connection.execute(
                    Order.__table__.insert().values(order_date=now, customer_id=customer_id,
                                                    channel=channel, promotion=None)
                ).inserted_primary_key[0]
                for line in order_lines:
                    line["order_id"] = order_id
                    cell = (line["region"], line["category"])
                    revenue_by_cell[cell] = revenue_by_cell.get(cell, 0.0) + line["revenue"]
                connection.execute(OrderLine.__table__.insert(), order_lines)
            # Keep forecast versus actual in step with the facts, in the same transaction.
            for (region, category), revenue in revenue_by_cell.items():
                changed = connection.execute(
                    update(ForecastMonth)
                    .where(ForecastMonth.month == month, ForecastMonth.region == region,
                           ForecastMonth.category == category)
                    .values(actual_revenue=ForecastMonth.actual_revenue + revenue)
                ).rowcount
                if not changed:
                    connection.execute(ForecastMonth.__table__.insert().values(
                        month=month, region=region, category=category,
                        forecast_revenue=None, actual_revenue=round(revenue, 2)))

    def run(self) -> None:
        """Tick every `interval` seconds until `stop()`; a failed tick is logged and retried."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the feed must outlive a locked or restarting database
                log.exception("demo feed tick failed; retrying")
            self._stop.wait(self.interval)

    def start(self) -> DemoFeed:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="demo-feed", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def main() -> None:
    """Run the feed as its own process until SIGINT or SIGTERM."""
    from data.db import Database
    from settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s feed %(levelname)s %(message)s")
    settings = Settings.load()
    database = Database(settings.database_url)
    feed = DemoFeed(database.engine, interval=settings.feed_interval_seconds,
                    speedup=settings.feed_speedup)
    signal.signal(signal.SIGTERM, lambda *_: feed._stop.set())
    signal.signal(signal.SIGINT, lambda *_: feed._stop.set())
    log.info("demo feed writing to %s every %.1fs, about %.2f orders a second",
             database.engine.url.render_as_string(), feed.interval, feed.orders_per_tick / feed.interval)
    feed.run()
    log.info("demo feed stopped")
    database.dispose()


if __name__ == "__main__":
    main()
