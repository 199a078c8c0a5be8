import type { ActionContext, Wire } from './context.js';

/** DescribeRegions: the one region the emulator serves (a cheap call, fit for a ping). */
export function describeRegions({ service }: ActionContext): Wire {
  return {
    Regions: [
      {
        RegionId: service.regionId,
        RegionEndpoint: `eci.${service.regionId}.aliyuncs.com`,
        Zones: [...service.zones],
        RecommendZones: [...service.zones],
        UnavailableZones: [],
      },
    ],
  };
}
