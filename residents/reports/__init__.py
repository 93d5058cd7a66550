"""Residents' reports ("Fehler melden"): routed to the provider concerned and the city, answered with a deadline.

- ``services``: file, answer, flag overdue reports, prune answered ones (writes).
- ``selectors``: who may see which report (the provider concerned and the planners; the resident by its private
  link), the providers a resident can choose (reads).
- ``mails``: to the provider's members, the planners and the resident, queued through geoportal.mail.
"""
