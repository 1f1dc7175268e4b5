"""Job queues: the protocol and the embedded in-memory implementation."""

from lookout.engine.queue.base import Job, Lease, Queue
from lookout.engine.queue.memory import MemoryQueue

__all__ = ["Job", "Lease", "MemoryQueue", "Queue"]
