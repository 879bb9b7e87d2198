"""Production on the shop floor: lots, operation start/finish, QC results, shipment and
delivery, each one a ledger event; a lot's trace code makes its history public."""
