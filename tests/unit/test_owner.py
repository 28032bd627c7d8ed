from sandbox.owner import Owner


def test_the_current_process_is_alive() -> None:
    me = Owner.current()
    assert me.is_alive_here()
    assert Owner.parse(str(me)) == me


def test_a_reused_pid_is_not_the_same_owner() -> None:
    me = Owner.current()
    assert not Owner(me.host, me.pid, "1").is_alive_here()


def test_another_host_is_never_alive_here() -> None:
    assert not Owner("elsewhere", 1, "1").is_alive_here()


def test_garbage_labels_do_not_parse() -> None:
    assert Owner.parse("") is None
    assert Owner.parse("host/abc:1") is None


def test_a_dead_process_of_this_host_is_gone_and_others_are_not() -> None:
    me = Owner.current()
    assert not me.is_gone()
    assert Owner(me.host, me.pid, "1").is_gone()
    assert not Owner("elsewhere", 1, "1").is_gone()
    assert Owner.of_process(me.pid) == me
