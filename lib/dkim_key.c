/* dkim_key.c - placeholder: being written. */
