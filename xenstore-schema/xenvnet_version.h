/* The one version string of xenvnet: `vn --version`, `xenvnetd --version`,
 * `vn status` and the Makefile (make deb checks debian/changelog against it). */
#ifndef XENVNET_VERSION_H
#define XENVNET_VERSION_H

#define XENVNET_VERSION "0.1.0"

#endif
