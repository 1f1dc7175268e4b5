"""One module per way of telling someone: webhook, mail, and Apprise for the rest."""
