"""The C core's constants (generated from csrc/pww.h by tools/gen_constants.py:
do not edit)."""

KIND_PYTHON = 1
KIND_JAVASCRIPT = 2
STATE_CREATED = 0
STATE_STARTING = 1
STATE_RUNNING = 2
STATE_KILLED = 3
STATE_FAILED = 4
OUTBOUND = 0
INBOUND = 1
MSG_TEXT = 1
MSG_BYTES = 2
MSG_JSON = 3
MSG_ERROR = 4
CALL_PENDING = 0
CALL_BEGUN = 1
CALL_ENDED = 2
CALL_CANCELLED = 3
CALL_LATE = 4
STATE_COUNT = 5
DEFAULT_MAX_MESSAGES = 1000000
DEFAULT_MAX_BYTES = 268435456
DEFAULT_MAX_CALLS = 1000000
MAX_LEN = 2147483647
MAX_INDEX = 2147483647
CALL_STAT_COUNT = 5
STATE_NAMES = ('created', 'starting', 'running', 'killed', 'failed')
CALL_STAT_NAMES = ('pending', 'begun', 'ended', 'cancelled', 'late')
MSG_KIND_NAMES = {1: 'text', 2: 'bytes', 3: 'json', 4: 'error'}

# Error codes (PWW_ERRNO_MAP): name -> (code, description).
ERRORS = {
    'EINVAL': (-2, 'invalid argument'),
    'ENOMEM': (-3, 'out of memory'),
    'ENOENT': (-4, 'no such worker'),
    'ESTATE': (-5, "operation not allowed in the worker's state"),
    'EFULL': (-6, 'queue full'),
    'ERANGE': (-7, 'no message at this index'),
    'ERELEASED': (-8, 'message already released'),
    'EBUSY': (-9, 'registry still has workers'),
    'ENOSPC': (-10, 'no ids or indices left'),
    'ENOCALL': (-11, 'no such pending call'),
}
EINVAL = -2
ENOMEM = -3
ENOENT = -4
ESTATE = -5
EFULL = -6
ERANGE = -7
ERELEASED = -8
EBUSY = -9
ENOSPC = -10
ENOCALL = -11
