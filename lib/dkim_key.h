/* dkim_key.h - placeholder: being written. */
