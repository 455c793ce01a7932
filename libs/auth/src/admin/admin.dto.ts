import { ALL_SCOPES, type Scope } from '@orderops/access';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  MinLength,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { NotPersonalData } from '@orderops/core';
import { MAX_REDIRECT_URIS } from '../clients/client-registration.js';
import { PREVIOUS_SECRET_DEFAULT_SECONDS, PREVIOUS_SECRET_MAX_SECONDS } from '../clients/clients.service.js';
import {
  GRANT_TYPES,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type GrantType,
  type TokenEndpointAuthMethod,
} from '../clients/oauth-client.entity.js';
import {
  USERNAME_CHARACTERS_MESSAGE,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  USERNAME_PATTERN,
} from '../operators/username-rule.js';

const scopeList = { isArray: true, enum: ALL_SCOPES, example: ['orders:read'] };

const grantTypesProperty = {
  isArray: true,
  enum: GRANT_TYPES,
  example: ['authorization_code', 'refresh_token'],
  description:
    'Default: authorization_code + refresh_token when redirectUris are given, client_credentials otherwise. ' +
    'password is refused; client_credentials needs a secret; authorization_code needs redirect URIs.',
};
const authMethodProperty = {
  enum: TOKEN_ENDPOINT_AUTH_METHODS,
  default: 'client_secret_basic',
  description:
    'RFC 7591 token_endpoint_auth_method. none registers a public client (no secret, PKCE only); ' +
    'a confidential client may present its secret either way.',
};
const redirectUrisProperty = {
  isArray: true,
  type: String,
  maxItems: MAX_REDIRECT_URIS,
  example: ['https://app.example.com/callback'],
  description:
    'Exact strings in canonical form: https, or http to localhost/127.0.0.1/[::1] (any port at sign-in, RFC 8252); no fragment',
};
const postLogoutUrisProperty = {
  ...redirectUrisProperty,
  example: ['https://app.example.com/'],
  description: 'Where RP-initiated logout may return; the same rule as redirectUris',
};

export class CreateOperatorDto {
  @ApiProperty({ example: 'jdoe', description: '3-64 of a-z 0-9 . _ -; case-insensitive' })
  @IsString()
  @MinLength(USERNAME_MIN_LENGTH)
  @MaxLength(USERNAME_MAX_LENGTH)
  @Matches(USERNAME_PATTERN, { message: USERNAME_CHARACTERS_MESSAGE })
  username!: string;

  @ApiProperty({ description: '12-256 characters, not a common password', format: 'password' })
  @IsString()
  @MaxLength(1024)
  password!: string;

  @ApiProperty(scopeList)
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(ALL_SCOPES.length)
  @IsIn(ALL_SCOPES, { each: true })
  scopes!: Scope[];
}

export class UpdateOperatorDto {
  @ApiPropertyOptional(scopeList)
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(ALL_SCOPES.length)
  @IsIn(ALL_SCOPES, { each: true })
  scopes?: Scope[];

  @ApiPropertyOptional({ description: 'true disables the operator and voids their tokens' })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ description: 'A new password; voids existing tokens', format: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;
}

export class OperatorResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty(scopeList) scopes!: Scope[];
  @ApiProperty() disabled!: boolean;
  @ApiProperty({ description: 'true while a brute-force lock is in force' }) locked!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class CreateClientDto {
  @ApiProperty({
    example: 'Acme fulfilment',
    description: 'unique among clients, compared without case or surrounding spaces (409 otherwise)',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty(scopeList)
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(ALL_SCOPES.length)
  @IsIn(ALL_SCOPES, { each: true })
  scopes!: Scope[];

  @ApiPropertyOptional(grantTypesProperty)
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(GRANT_TYPES.length)
  @IsIn(GRANT_TYPES, { each: true })
  grantTypes?: GrantType[];

  @ApiPropertyOptional(authMethodProperty)
  @IsOptional()
  @IsIn(TOKEN_ENDPOINT_AUTH_METHODS)
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;

  @ApiPropertyOptional(redirectUrisProperty)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @IsString({ each: true })
  redirectUris?: string[];

  @ApiPropertyOptional(postLogoutUrisProperty)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @IsString({ each: true })
  postLogoutRedirectUris?: string[];
}

/** Omitted fields stay as they are; the rules of a new client hold for the result. */
export class UpdateClientDto {
  @ApiPropertyOptional(grantTypesProperty)
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(GRANT_TYPES.length)
  @IsIn(GRANT_TYPES, { each: true })
  grantTypes?: GrantType[];

  @ApiPropertyOptional({
    ...authMethodProperty,
    description:
      'client_secret_basic <-> client_secret_post for a confidential client; a public one stays none',
  })
  @IsOptional()
  @IsIn(TOKEN_ENDPOINT_AUTH_METHODS)
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;

  @ApiPropertyOptional(redirectUrisProperty)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @IsString({ each: true })
  redirectUris?: string[];

  @ApiPropertyOptional(postLogoutUrisProperty)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_REDIRECT_URIS)
  @IsString({ each: true })
  postLogoutRedirectUris?: string[];
}

export class ClientResponse {
  @ApiProperty() clientId!: string;
  /** The partner system's name, not a person's. */
  @ApiProperty()
  @NotPersonalData()
  name!: string;
  @ApiProperty({ enum: ['public', 'confidential'] }) type!: string;
  @ApiProperty() firstParty!: boolean;
  @ApiProperty({ isArray: true, enum: GRANT_TYPES }) grantTypes!: string[];
  @ApiProperty(scopeList) scopes!: Scope[];
  @ApiProperty({ enum: TOKEN_ENDPOINT_AUTH_METHODS }) tokenEndpointAuthMethod!: string;
  @ApiProperty({
    isArray: true,
    type: String,
    description:
      'For the built-in apps: from configuration (ORDEROPS_WEB_REDIRECT_URIS; /docs/oauth2-redirect.html)',
  })
  redirectUris!: string[];
  @ApiProperty({ isArray: true, type: String }) postLogoutRedirectUris!: string[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class CreatedClientResponse extends ClientResponse {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Shown once; store it now. Only a keyed hash is kept. null for a public client (none).',
  })
  clientSecret!: string | null;
}

export class RotateClientSecretDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: PREVIOUS_SECRET_MAX_SECONDS,
    default: PREVIOUS_SECRET_DEFAULT_SECONDS,
    example: PREVIOUS_SECRET_DEFAULT_SECONDS,
    description:
      'How long the replaced secret keeps working, in seconds (0: it stops now; at most 7 days). A rotation inside the window ends the secret it had kept.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(PREVIOUS_SECRET_MAX_SECONDS)
  previousValidForSeconds?: number;
}

export class RotatedClientSecretResponse {
  @ApiProperty() clientId!: string;

  @ApiProperty({ description: 'Shown once; store it now. Only a keyed hash is kept.' })
  clientSecret!: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Until when the replaced secret still authenticates; null when it stopped at once',
  })
  previousSecretValidUntil!: string | null;
}

export class SigningKeyResponse {
  @ApiProperty() kid!: string;
  @ApiProperty() algorithm!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) retiredAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) verifyUntil!: string | null;
}

export class RotatedKeysResponse {
  @ApiProperty({ description: 'The new signing key' }) kid!: string;
  @ApiProperty({ isArray: true, type: String, description: 'Keys that stopped signing (still verify)' })
  retired!: string[];
}
