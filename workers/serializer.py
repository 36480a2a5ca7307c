"""How jobs are written to Redis: JSON, never pickle.

RQ pickles job arguments by default, and unpickling runs whatever the bytes say, so anything
that could write to Redis could run code in every worker. Ingestion jobs carry only ids,
sequence numbers and plain results, which JSON holds; a job that is not JSON fails to load
and is never run. Every Queue, Job and Worker of the pipeline uses this serializer.
"""

from __future__ import annotations

from rq.serializers import JSONSerializer

SERIALIZER = JSONSerializer
