from . import gateway, warehouse
