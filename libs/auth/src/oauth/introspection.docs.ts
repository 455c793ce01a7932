import { ApiOkResponse, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * RFC 7662 §2.2, as OAuthService.introspect answers it: `{active: false}` alone for a token
 * that is not active (or not the caller's), every other member only for an active one.
 */
export class OAuthIntrospectionResponse {
  @ApiProperty()
  active!: boolean;

  @ApiPropertyOptional({ example: 'orders:read' })
  scope?: string;

  @ApiPropertyOptional()
  client_id?: string;

  @ApiPropertyOptional({ description: 'the opaque subject id (never a username)' })
  sub?: string;

  @ApiPropertyOptional({ enum: ['Bearer', 'refresh_token'] })
  token_type?: 'Bearer' | 'refresh_token';

  @ApiPropertyOptional({ type: 'integer', description: 'expiry, seconds since the epoch' })
  exp?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'issue time, seconds since the epoch' })
  iat?: number;

  @ApiPropertyOptional()
  iss?: string;

  @ApiPropertyOptional()
  aud?: string;

  @ApiPropertyOptional()
  jti?: string;
}

export const ApiIntrospectionResponse = (): MethodDecorator =>
  ApiOkResponse({ type: OAuthIntrospectionResponse, description: 'RFC 7662 §2.2' });
