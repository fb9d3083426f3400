from . import test_bir_form
