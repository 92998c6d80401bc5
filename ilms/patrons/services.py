"""Reader rules: finding readers by card, registering, cards, blocks."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..common.barcodes import normalise_barcode
from ..common.errors import NotFound
from ..extensions import db
from .models import Patron


def patron_by_barcode(barcode, *, required=True):
    """The reader whose card carries ``barcode`` (as a scanner sends it)."""
    code = normalise_barcode(barcode)
    patron = db.session.scalar(sa.select(Patron).where(Patron.barcode == code)) if code else None
    if patron is None and required:
        raise NotFound(_l("No reader card has the barcode %(barcode)s. Check the card or register the reader.",
                          barcode=code or "—"), code="unknown_patron")
    return patron
