"""Application: the merchant's form, from /apply to a submitted application, as one folder.

- form.py        the questions, their order and what makes an answer acceptable (pure)
- validation/    one validator per field family, raising FieldError with a template code
- lifecycle.py   the application's states and the transitions allowed between them (pure)
- service.py     the use cases behind handlers/onboarding.py, as transactions:
                 repositories, the document store and the application's Policy (its
                 settings, read once) in, results and queued messages out

Submission hands the application to review (bot/review/).
May import: storage/, bot's low-level modules. Never handlers/, scheduler/, telegram or
bot/app.py (tests/test_layers.py).
"""
