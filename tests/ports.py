"""A free TCP port on 127.0.0.1 for a server a test starts."""
import socket


def free_port() -> int:
    # chosen by the kernel, not from a fixed range: pytest-xdist workers and CI's two passes
    # start and stop servers at the same time, and a fixed range hands a stopped server's port
    # to another's, which would then answer in its place
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
