alias ll='ls -l'
export PATH=$PATH:/usr/local/bin
