from . import demo_data, extract, odoo_figures
