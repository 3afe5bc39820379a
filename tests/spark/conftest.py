"""One SparkSession (``local[2]``, the job's own settings) for the whole run: starting the JVM costs
seconds, every Spark test shares it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from metrics.batch import spark_session

    session = spark_session("local[2]", app="city-vitals-tests")
    yield session
    session.stop()
