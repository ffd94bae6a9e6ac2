// SPDX-License-Identifier: GPL-2.0

#include <drm/drm_atomic.h>
#include <drm/drm_connector.h>
#include <drm/drm_crtc.h>
#include <drm/drm_modeset_helper_vtables.h>
#include <drm/drm_plane.h>

/*
 * The KMS helpers are only reachable from the kernel image when they are built
 * in; rust/kernel/drm/kms is compiled under the same condition.
 */
#ifdef CONFIG_RUST_DRM_KMS_HELPER

__rust_helper void
rust_helper_drm_plane_helper_add(struct drm_plane *plane,
				 const struct drm_plane_helper_funcs *funcs)
{
	drm_plane_helper_add(plane, funcs);
}

__rust_helper void
rust_helper_drm_crtc_helper_add(struct drm_crtc *crtc,
				const struct drm_crtc_helper_funcs *funcs)
{
	drm_crtc_helper_add(crtc, funcs);
}

__rust_helper void
rust_helper_drm_connector_helper_add(struct drm_connector *connector,
				     const struct drm_connector_helper_funcs *funcs)
{
	drm_connector_helper_add(connector, funcs);
}

__rust_helper struct drm_plane_state *
rust_helper_drm_atomic_get_old_plane_state(const struct drm_atomic_commit *state,
					   struct drm_plane *plane)
{
	return drm_atomic_get_old_plane_state(state, plane);
}

__rust_helper struct drm_plane_state *
rust_helper_drm_atomic_get_new_plane_state(const struct drm_atomic_commit *state,
					   struct drm_plane *plane)
{
	return drm_atomic_get_new_plane_state(state, plane);
}

__rust_helper struct drm_crtc_state *
rust_helper_drm_atomic_get_old_crtc_state(const struct drm_atomic_commit *state,
					  struct drm_crtc *crtc)
{
	return drm_atomic_get_old_crtc_state(state, crtc);
}

__rust_helper struct drm_crtc_state *
rust_helper_drm_atomic_get_new_crtc_state(const struct drm_atomic_commit *state,
					  struct drm_crtc *crtc)
{
	return drm_atomic_get_new_crtc_state(state, crtc);
}

__rust_helper bool
rust_helper_drm_atomic_crtc_needs_modeset(const struct drm_crtc_state *state)
{
	return drm_atomic_crtc_needs_modeset(state);
}

/*
 * Whether every plane, CRTC and connector of @dev has a state: a reset that
 * could not allocate one leaves it without, and the core would dereference
 * it. The object lists are only walked by the C iterator macros.
 */
__rust_helper bool rust_helper_drm_mode_config_states_allocated(struct drm_device *dev)
{
	struct drm_connector_list_iter iter;
	struct drm_connector *connector;
	struct drm_plane *plane;
	struct drm_crtc *crtc;
	bool allocated = true;

	drm_for_each_plane(plane, dev)
		if (!plane->state)
			return false;
	drm_for_each_crtc(crtc, dev)
		if (!crtc->state)
			return false;
	drm_connector_list_iter_begin(dev, &iter);
	drm_for_each_connector_iter(connector, &iter) {
		if (!connector->state) {
			allocated = false;
			break;
		}
	}
	drm_connector_list_iter_end(&iter);
	return allocated;
}

__rust_helper unsigned int rust_helper_drm_crtc_index(const struct drm_crtc *crtc)
{
	return drm_crtc_index(crtc);
}

#endif
