from . import gateway
from . import warehouse
