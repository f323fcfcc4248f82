"""trendstream: semantic trend detection over a live stream of short posts."""

import os

__version__ = "0.1.0"

# gRPC's fork handler (grpcio >= 1.81, grpc/grpc#43055) restarts its poller in every forked
# child; with a live Milvus channel, a child that runs Python before exec (PySpark's gateway
# launch) then aborts ~3 % of the time with "epoll_wait error: Bad file descriptor". We only
# fork to exec, so gRPC needs no fork support; set before pymilvus loads grpc.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
