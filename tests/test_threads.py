"""BLAS thread limits: coordinate descent runs single-threaded, large products get the
threads that were in force before (and never more)."""

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")  # ships with scikit-learn

from sparsefit._base import parallel_blas, single_threaded_blas  # noqa: E402


def blas_threads():
    info = threadpoolctl.threadpool_info()
    return max((lib["num_threads"] for lib in info if lib["user_api"] == "blas"), default=None)


def test_parallel_blas_restores_the_outer_thread_count():
    if blas_threads() is None:
        pytest.skip("no BLAS library visible to threadpoolctl")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        outer = blas_threads()
        with single_threaded_blas():
            assert blas_threads() == 1
            with parallel_blas():
                assert blas_threads() == outer
            assert blas_threads() == 1
        assert blas_threads() == outer


def test_parallel_blas_respects_a_user_limit_and_is_a_no_op_outside():
    if blas_threads() is None:
        pytest.skip("no BLAS library visible to threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        with single_threaded_blas():
            with parallel_blas():
                assert blas_threads() == 1  # the user asked for one thread
    before = blas_threads()
    with parallel_blas():
        assert blas_threads() == before
