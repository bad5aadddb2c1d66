"""Framework services that sit beside the model layer (mail)."""
