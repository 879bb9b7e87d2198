from flask_wtf.csrf import CSRFProtect

_csrf = CSRFProtect()
init_app = _csrf.init_app
exempt = _csrf.exempt
