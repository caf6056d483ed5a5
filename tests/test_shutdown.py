"""The onsuccess/onerror hook that lets a finished run exit with its last job (babbler.util.shutdown)."""

import threading

from babbler.util.shutdown import cancel_timers


def test_cancel_timers_ends_a_pending_timer_without_firing_it():
    fired = []
    timer = threading.Timer(600, fired.append, args=["fired"])  # a scheduler re-plan timer still asleep
    timer.start()
    release = threading.Event()
    plain = threading.Thread(target=release.wait, args=(600,))  # other threads are left alone
    plain.start()
    assert cancel_timers() >= 1
    timer.join(timeout=30)
    assert not timer.is_alive()
    assert fired == []
    assert plain.is_alive()
    release.set()
    plain.join(timeout=30)
